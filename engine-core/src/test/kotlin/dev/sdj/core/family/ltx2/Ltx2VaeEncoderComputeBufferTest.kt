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
 * The compute buffer of LTX-2.3's encoder at real channel counts for one picture, as the planner measures the image
 * encoding graph: the weights get memory (f16 kernels, never written) and ggml's allocator measures the graph without
 * running it. It grows with the picture's pixels: 317 MiB at 512×512, 633 MiB at 1024×512 (CPU buffer type; weights 608 MiB).
 */
class Ltx2VaeEncoderComputeBufferTest {
    @Test
    fun `LTX-2 encoder buffer for one picture grows with its pixels`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val specs = TinyLtx2VaeEncoder(Ltx2VaeEncoderDimensions.LTX_2_3).entries.map { e ->
            ParamSpec(e.name, if (e.isKernel) GgmlType.F16 else GgmlType.F32, ParamSpecs.ggmlShape(e.torchShape.reversed()))
        }
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "LTX-2.3 encoder shapes").use { buffer ->
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            assertEquals(Ltx2VaeEncoderDimensions.LTX_2_3, Ltx2VaeEncoderDimensions.of(w))
            val encoding = Ltx2ImageEncoding(w)
            fun mib(width: Int, height: Int) = encoding.graph(width, height).let { CompiledGraph.measure(ggml, cpu.bufferType(), it.maxNodes, build = it.build) } / MIB
            val small = mib(512, 512)
            val large = mib(1024, 512)
            println("LTX-2.3 encoder compute buffer, one picture: 512×512 %.0f MiB, 1024×512 %.0f MiB, weights %.0f MiB".format(small, large, buffer.bytes / MIB))
            assertTrue(large / small in 1.6..2.2, "twice the pixels, about twice the buffer: $small → $large MiB")
        }
    }

    private companion object {
        const val MIB = 1024.0 * 1024
    }
}
