package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.DType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The compute buffer of LTX-2.3's vocoder at real channel counts (1536 → 24), as a phase would have the planner measure
 * it at a request's length ([Ltx2Vocoding.graph]): the weights get memory (f16 kernels, never written) and ggml's
 * allocator measures the graph without running it. Whole, the buffer grows with the clip (CPU buffer type: 1 s 0.06 GiB,
 * 4 s 0.13, 16 s 0.51); in windows of at most 5 s plus context it stops near that of one window (16 s: 0.15 GiB, four
 * windows of 468 frames).
 */
class Ltx2VocoderComputeBufferTest {
    @Test
    fun `windows bound the vocoder's buffer whatever the clip's length`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val specs = TinyLtx2Vocoder(Ltx2VocoderDimensions.LTX_2_3).let { t ->
            t.entries.map { e -> ParamSpec(e.name, if (t.typeOf(e) == DType.F16) GgmlType.F16 else GgmlType.F32, ParamSpecs.ggmlShape(e.torchShape.reversed())) }
        }
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "LTX-2.3 vocoder shapes").use { buffer ->
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            val whole = Ltx2Vocoding(w, Ltx2VocoderChunking(Int.MAX_VALUE / 4, 0))
            val windowed = Ltx2Vocoding(w)
            assertEquals(Ltx2VocoderDimensions.LTX_2_3, windowed.generator.dimensions)
            fun gib(v: Ltx2Vocoding, frames: Int) = CompiledGraph.measure(ggml, cpu.bufferType(), build = v.graph(frames)) / GIB
            val seconds = listOf(1, 4, 16)
            val wholeGib = seconds.map { gib(whole, it * FRAMES_PER_SECOND) }
            val windowedGib = seconds.map { gib(windowed, it * FRAMES_PER_SECOND) }
            println("LTX-2.3 vocoder compute buffer, 1/4/16 s: whole %s GiB, in windows %s GiB".format(
                wholeGib.joinToString("/") { "%.2f".format(it) }, windowedGib.joinToString("/") { "%.2f".format(it) }))
            assertTrue(wholeGib[2] > 3.5 * wholeGib[1], "whole, the buffer grows with the clip")
            assertTrue(windowedGib[2] < 1.5 * windowedGib[1], "in windows it stops at one window's")
        }
    }

    private companion object {
        const val GIB = 1024.0 * 1024 * 1024
        const val FRAMES_PER_SECOND = 100
    }
}
