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
 * allocator measures the graph without running it. Whole, the buffer grows with the clip (CPU buffer type: 1 s 0.03 GiB,
 * 4 s 0.13, 16 s 0.53); in windows of at most 5 s plus context it stops near that of one window (16 s: 0.15 GiB, four
 * windows of 468 frames). With the bandwidth extension (BWE generator 512 → 16 channels) each window runs the whole
 * chain: 1/4/16 s 0.06/0.25/0.39 GiB, flat from there on. The transposed convolutions' kernels are f32 as the loader keeps them (cast in the graph
 * they took 52 MiB more).
 */
class Ltx2VocoderComputeBufferTest {
    @Test
    fun `windows bound the vocoder's buffer whatever the clip's length`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs(TinyLtx2Vocoder(Ltx2VocoderDimensions.LTX_2_3)), "LTX-2.3 vocoder shapes").use { buffer ->
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

    @Test
    fun `windows bound the buffer of the vocoder with its bandwidth extension too`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val bwe = TinyLtx2Vocoder.LTX_2_3_BWE
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs(TinyLtx2Vocoder(Ltx2VocoderDimensions.LTX_2_3, bwe = bwe)), "LTX-2.3 vocoder + BWE shapes").use { buffer ->
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            val windowed = Ltx2Vocoding(w)
            assertEquals(bwe, windowed.extension!!.dimensions.generator)
            val gib = listOf(1, 4, 16, 64).map { CompiledGraph.measure(ggml, cpu.bufferType(), build = windowed.graph(it * FRAMES_PER_SECOND)) / GIB }
            println("LTX-2.3 vocoder + BWE compute buffer in windows, 1/4/16/64 s: %s GiB".format(gib.joinToString("/") { "%.2f".format(it) }))
            // a window keeps up to 5 s with 64 frames of context (the chain's reach) on both sides: 16 s is already full windows
            assertTrue(gib[3] < 1.1 * gib[2], "in windows it stops at one window's")
        }
    }

    /** The file's tensors as the loader places them: kernels f16 but the ones [Ltx2Vocoding.keepsF32] keeps f32. */
    private fun specs(t: TinyLtx2Vocoder) = t.entries.map { e ->
        val type = if (t.typeOf(e) == DType.F16 && !Ltx2Vocoding.keepsF32(e.name)) GgmlType.F16 else GgmlType.F32
        ParamSpec(e.name, type, ParamSpecs.ggmlShape(e.torchShape.reversed()))
    }

    private companion object {
        const val GIB = 1024.0 * 1024 * 1024
        const val FRAMES_PER_SECOND = 100
    }
}
