package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FlashAttention
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * LTX-2.3's DiT at its real shapes ([Ltx2DitDimensions.LTX_2_3]): its parameter count, and the compute buffer ggml's
 * allocator measures for one step on Q4_K weights (f32 where [Ltx2DitPrecision] keeps them) that get memory but no
 * values: every tensor placed over the same bytes, as the planner's placeholders are. The blocks' transients reuse
 * memory: the buffer grows for the first blocks (ggml's allocator keeps the context copies and a stream alive across
 * them) and not after the third, so the figure for three holds for all 48. Measured on the CPU's buffer type with 1024
 * context tokens and 35 audio steps: 768×512×33 (24 × 16 × 5 cells) 0.73 GiB naive, 0.33 GiB with flash attention;
 * 1280×736×33 (40 × 23 × 5) 3.16 GiB naive, 0.72 GiB flash. Naive attention stores the [tokens²·heads] scores.
 */
class Ltx2DitComputeBufferTest {
    private val d = Ltx2DitDimensions.LTX_2_3

    /** The figure, 35 GiB in bf16, from the tensors TinyLtx2Dit writes. */
    @Test
    fun `LTX-2·3 has 48 blocks of 387 M parameters and 19 B in all`() {
        val tensors = TinyLtx2Dit(d).tensors
        fun count(e: Ltx2DitTensors.Entry) = e.torchShape.fold(1L) { a, b -> a * b }
        val block = tensors.filter { it.name.startsWith("transformer_blocks.0.") }.sumOf(::count)
        val all = tensors.sumOf(::count)
        val f32 = tensors.filter { Ltx2DitPrecision.keepsF32(it.name) }.sumOf(::count)
        println("LTX-2.3 DiT: %.1f M per block, %.2f B in all (%.1f GiB bf16), %.0f M kept f32".format(block / 1e6, all / 1e9, all * 2 / GIB, f32 / 1e6))
        assertEquals(387.0, block / 1e6, 1.0)
        assertEquals(35.0, all * 2 / GIB, 0.5)
    }

    private fun measure(blocks: Int, frames: Long, height: Long, width: Long, audio: Long, flash: Boolean, tokenTimesteps: Boolean = false): Long {
        val ggml = Ggml.get()
        val cpu = ggml.cpu().bufferType()
        val entries = TinyLtx2Dit(d.copy(blocks = blocks)).tensors
        ggml.newContext(entries.size).use { ctx ->
            val tensors = entries.associate { e ->
                val type = if (e.torchShape.size == 1 || Ltx2DitPrecision.keepsF32(e.name)) GgmlType.F32 else GgmlType.Q4_K
                e.name to ctx.newTensor(type, *e.torchShape.reversed().toLongArray())
            }
            cpu.allocate(tensors.values.maxOf { cpu.allocSize(it) }).use { buffer ->
                tensors.values.forEach { buffer.place(it, 0, cpu.alignment()) }
                val w = MapWeights(tensors)
                val attention = if (flash) FlashAttention(ggml.cpu()) else NaiveAttention
                return CompiledGraph.measure(ggml, cpu, Ltx2Dit.nodes(blocks), attention) { g -> Ltx2Dit.build(g, w, frames, height, width, audio, CONTEXT, tokenTimesteps) }
            }
        }
    }

    @Test
    fun `one step's compute buffer stops growing after the third block`() {
        val three = measure(3, 5, 16, 24, 35, flash = false)
        val six = measure(6, 5, 16, 24, 35, flash = false)
        val flash = measure(3, 5, 16, 24, 35, flash = true)
        val large = measure(3, 5, 23, 40, 35, flash = false)
        val largeFlash = measure(3, 5, 23, 40, 35, flash = true)
        println("LTX-2.3 DiT step, compute buffer: 768x512x33 %.2f GiB naive, %.2f GiB flash; 1280x736x33 %.2f GiB naive, %.2f GiB flash".format(
            three / GIB, flash / GIB, large / GIB, largeFlash / GIB))
        assertEquals(three, six, "blocks after the third need no more compute memory")
    }

    /**
     * Image-to-video's graph computes the video's AdaLN once a latent frame ([width × 9, F], f32) and broadcasts each
     * frame's column over its tokens, so the step's buffer grows by a few MiB where a column per token would add
     * [width × 9, T] (270 MiB at 768×512×33, 2 GiB at 1280×736×121). Flash attention only: at 1280×736×121 naive
     * attention's scores alone are tens of GiB.
     */
    @Test
    fun `token timesteps add a few MiB to the step's buffer, not a column per token`() {
        for ((name, shape) in listOf("768x512x33" to longArrayOf(5, 16, 24), "1280x736x121" to longArrayOf(16, 23, 40))) {
            val (frames, height, width) = shape.toList()
            val t2v = measure(3, frames, height, width, 35, flash = true)
            val i2v = measure(3, frames, height, width, 35, flash = true, tokenTimesteps = true)
            val perToken = d.videoWidth * 9 * frames * height * width * 4
            println("LTX-2.3 DiT step at %s (flash): text-to-video %.3f GiB, image-to-video %.3f GiB (+%.2f MiB; a column per token would be %.0f MiB)".format(
                name, t2v / GIB, i2v / GIB, (i2v - t2v) / MIB, perToken / MIB))
            assertTrue(i2v - t2v <= 8 * MIB, "image-to-video ${i2v - t2v} bytes more at $name")
        }
    }

    /** [Ltx2Dit.nodes] is enough for the whole 48-block DiT (ggml refuses a graph larger than its context). */
    @Test
    fun `the whole 48-block graph fits its node budget`() {
        assertTrue(measure(d.blocks, 2, 2, 2, 3, flash = false) > 0)
    }

    private companion object {
        const val CONTEXT = 1024L
        const val GIB = 1024.0 * 1024 * 1024
        const val MIB = 1024.0 * 1024
    }
}
