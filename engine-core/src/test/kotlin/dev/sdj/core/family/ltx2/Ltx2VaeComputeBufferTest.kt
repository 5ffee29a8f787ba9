package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The compute buffer of LTX-2.3's decoder at real channel counts, as the planner would measure it per tile shape: the
 * weights get memory (f16 kernels, 0.8 GB, never written) and ggml's allocator measures each graph without running it.
 * The issue quotes sd.cpp at 512×512×129: 3.3 GB with 1-frame temporal tiles, 10.4 GB with 4, 19.7 GB with 8; this
 * decoder measures 2.74, 9.91 and 19.66 GiB (CPU buffer type), and 0.69 GiB with 1-frame tiles of 256×256 pixels.
 */
class Ltx2VaeComputeBufferTest {
    @Test
    fun `LTX-2 decoder buffers at 512x512x129 shrink with the temporal tile`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val specs = TinyLtx2Vae(Ltx2VaeDimensions.LTX_2_3).entries.map { e ->
            ParamSpec(e.name, if (e.isKernel) GgmlType.F16 else GgmlType.F32, ParamSpecs.ggmlShape(e.torchShape.reversed()))
        }
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "LTX-2.3 decoder shapes").use { buffer ->
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            assertEquals(Ltx2VaeDimensions.LTX_2_3, Ltx2VaeDimensions.of(w))
            val vae = Ltx2VideoVae(Ltx2VaeDimensions.LTX_2_3)
            fun gib(tiling: Ltx2VaeTiling) = tiling.shapes(16, 16, 17).maxOf {
                CompiledGraph.measure(ggml, cpu.bufferType(), build = vae.tileGraph(w, it))
            } / GIB
            val one = gib(Ltx2VaeTiling(frames = 1))
            val four = gib(Ltx2VaeTiling.SD_CPP_TEMPORAL)
            val eight = gib(Ltx2VaeTiling(frames = 8, overlap = 1))
            val spatial = gib(Ltx2VaeTiling(frames = 1, tile = 8, tileOverlap = 2))
            println("LTX-2.3 decoder compute buffer, 512×512×129: 1-frame tiles %.2f GiB, 4 (overlap 1) %.2f GiB, 8 (overlap 1) %.2f GiB, 1-frame 256-px tiles %.2f GiB"
                .format(one, four, eight, spatial))
            assertTrue(spatial < one && one < four && four < eight, "smaller tiles, smaller buffers")
        }
    }

    private companion object {
        const val GIB = 1024.0 * 1024 * 1024
    }
}
