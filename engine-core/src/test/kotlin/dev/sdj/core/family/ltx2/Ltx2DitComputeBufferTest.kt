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
     * Image-to-video's graph holds the video's AdaLN output per token ([width × 9, T], f32) through every block, and
     * makes each block's modulation rows [width, T] where text-to-video's are [width]: at 768×512×33 (T = 1920) the
     * global part alone is 270 MiB. The step's buffer grows by no more than that and four rows.
     */
    @Test
    fun `token timesteps add the per-token modulation to the step's buffer`() {
        val tokens = 5L * 16 * 24
        for (flash in listOf(false, true)) {
            val t2v = measure(3, 5, 16, 24, 35, flash)
            val i2v = measure(3, 5, 16, 24, 35, flash, tokenTimesteps = true)
            val global = d.videoWidth * 9 * tokens * 4
            println("LTX-2.3 DiT step at 768x512x33 (%s): text-to-video %.2f GiB, image-to-video %.2f GiB (+%.0f MiB; the per-token modulation %.0f MiB)".format(
                if (flash) "flash" else "naive", t2v / GIB, i2v / GIB, (i2v - t2v) / MIB, global / MIB))
            assertTrue(i2v > t2v && i2v - t2v <= global + 4 * d.videoWidth * tokens * 4, "image-to-video ${i2v - t2v} bytes more")
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
