package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The compute buffer of LTX-2.3's text contexts at its real shapes (Gemma 3840 × 49 states over 1024 tokens; video
 * 4096 wide and audio 2048 wide, 32 heads, feed-forward ×4, 128 registers), measured by ggml's allocator on Q4_0
 * weights that get memory but no values. The blocks' transients reuse the same memory, so a second block adds
 * nothing and the figure holds for LTX-2.3's eight. The stack is a graph input here (735 MiB at 1024 tokens, inside
 * the buffer); chained after the Gemma encoder it is that graph's output instead. Measured: 850.9 MiB at 128 prompt
 * tokens, 1494.0 MiB at 1024: one 49 × 3840 f32 row more per prompt token, so the prompt's states are not held
 * three times over (copied out of the stack, normed, reordered state-fastest) at the peak.
 */
class Ltx2ComputeBufferTest {
    private val hidden = 3840L
    private val planes = 49L
    private val tokens = 1024L

    private fun specs(blocks: Int): List<ParamSpec> {
        val q4 = GgmlType.Q4_0
        val f32 = GgmlType.F32
        val s = ArrayList<ParamSpec>()
        for ((name, width) in listOf(Ltx2TextArchitecture.VIDEO_AGGREGATE to 4096L, Ltx2TextArchitecture.AUDIO_AGGREGATE to 2048L)) {
            s.add(ParamSpec("$name.weight", q4, listOf(hidden * planes, width)))
            s.add(ParamSpec("$name.bias", f32, listOf(width)))
        }
        for ((prefix, width) in listOf(Ltx2TextArchitecture.VIDEO_CONNECTOR to 4096L, Ltx2TextArchitecture.AUDIO_CONNECTOR to 2048L)) {
            s.add(ParamSpec("$prefix.learnable_registers", f32, listOf(width, 128)))
            for (i in 0 until blocks) {
                val b = "$prefix.transformer_1d_blocks.$i"
                for (p in listOf("to_q", "to_k", "to_v", "to_out.0")) {
                    s.add(ParamSpec("$b.attn1.$p.weight", q4, listOf(width, width)))
                    s.add(ParamSpec("$b.attn1.$p.bias", f32, listOf(width)))
                }
                s.add(ParamSpec("$b.attn1.q_norm.weight", f32, listOf(width)))
                s.add(ParamSpec("$b.attn1.k_norm.weight", f32, listOf(width)))
                s.add(ParamSpec("$b.attn1.to_gate_logits.weight", f32, listOf(width, 32)))
                s.add(ParamSpec("$b.attn1.to_gate_logits.bias", f32, listOf(32)))
                s.add(ParamSpec("$b.ff.net.0.proj.weight", q4, listOf(width, 4 * width)))
                s.add(ParamSpec("$b.ff.net.0.proj.bias", f32, listOf(4 * width)))
                s.add(ParamSpec("$b.ff.net.2.weight", q4, listOf(4 * width, width)))
                s.add(ParamSpec("$b.ff.net.2.bias", f32, listOf(width)))
            }
        }
        return s
    }

    @Test
    fun `the blocks reuse their memory and each prompt token adds one row of states`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs(2), "LTX-2.3 text shapes").use { buffer ->
            fun measure(blocks: Int, valid: Int): Long {
                val w = MapWeights(buffer.names.filter { n -> !n.contains("transformer_1d_blocks.") || n.substringAfter("transformer_1d_blocks.").substringBefore('.').toInt() < blocks }
                    .associateWith { buffer.tensor(it) })
                val text = Ltx2TextContext.of(w)
                return CompiledGraph.measure(ggml, cpu.bufferType()) { g -> text.build(g, w, hidden, tokens, planes, valid) }
            }
            val one = measure(1, 128)
            val two = measure(2, 128)
            val long = measure(2, 1024)
            val plane = hidden * planes * 4
            println("LTX-2.3 text contexts, compute buffer: %.1f MiB at 128 prompt tokens (1 block %.1f MiB), %.1f MiB at 1024; the stack input %.1f MiB".format(
                two / MIB, one / MIB, long / MIB, plane * tokens / MIB))
            assertEquals(one, two, "a second block needs no more compute memory")
            val perToken = (long - two).toDouble() / (1024 - 128)
            assertTrue(kotlin.math.abs(perToken - plane) < plane * 0.01, "each prompt token adds ${perToken / plane} rows of 49 × 3840 f32, not one")
        }
    }

    private companion object {
        const val MIB = 1024.0 * 1024.0
    }
}
