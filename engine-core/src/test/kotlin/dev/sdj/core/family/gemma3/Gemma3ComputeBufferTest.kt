package dev.sdj.core.family.gemma3

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The compute buffer of Gemma-3 12B's shapes at sd.cpp's 1024 tokens, measured by ggml's allocator (the weights get
 * memory but no values: measuring reads none). Each layer adds exactly one plane of the hidden-state stack, 3840 ×
 * 1024 f32 = 15 MiB: the stack is held once, written plane by plane, and the layers' transient tensors reuse the same
 * memory, so 48 layers need the 3-layer figure plus 45 planes. Keeping only a prompt's own tokens in the stack (as LTX-2
 * does: its feature extractor drops the padding's states) shrinks each plane to those rows.
 */
class Gemma3ComputeBufferTest {
    private val hidden = 3840L
    private val tokens = 1024L

    private fun specs(layers: Int): List<ParamSpec> {
        val q4 = GgmlType.Q4_0
        val s = ArrayList<ParamSpec>()
        fun norm(name: String, n: Long) = s.add(ParamSpec(name, GgmlType.F32, listOf(n)))
        s.add(ParamSpec(Gemma3Names.EMBEDDING, q4, listOf(hidden, 64)))   // rows the prompt does not read cost no compute memory
        for (i in 0 until layers) {
            val b = "blk.$i"
            for (n in listOf("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm")) norm("$b.$n.weight", hidden)
            norm("$b.attn_q_norm.weight", 256)
            norm("$b.attn_k_norm.weight", 256)
            s.add(ParamSpec("$b.attn_q.weight", q4, listOf(hidden, 16 * 256)))
            s.add(ParamSpec("$b.attn_k.weight", q4, listOf(hidden, 8 * 256)))
            s.add(ParamSpec("$b.attn_v.weight", q4, listOf(hidden, 8 * 256)))
            s.add(ParamSpec("$b.attn_output.weight", q4, listOf(16 * 256, hidden)))
            s.add(ParamSpec("$b.ffn_gate.weight", q4, listOf(hidden, 15360)))
            s.add(ParamSpec("$b.ffn_up.weight", q4, listOf(hidden, 15360)))
            s.add(ParamSpec("$b.ffn_down.weight", q4, listOf(15360, hidden)))
        }
        norm(Gemma3Names.FINAL_NORM, hidden)
        return s
    }

    @Test
    fun `each layer adds one plane of the stack`() {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs(3), "Gemma-3 12B shapes").use { buffer ->
            fun measure(layers: Int, kept: Long = tokens): Long {
                val w = MapWeights(buffer.names.filter { !it.startsWith("blk.") || it.split('.')[1].toInt() < layers }.associateWith { buffer.tensor(it) })
                val encoder = Gemma3Encoder.of(w)
                return CompiledGraph.measure(ggml, cpu.bufferType()) { g -> encoder.build(g, w, tokens, kept) }
            }
            val two = measure(2)
            val three = measure(3)
            val plane = hidden * tokens * 4
            println("Gemma-3 12B shapes, 1024 tokens: compute buffer %.1f MiB at 2 layers, %.1f MiB at 3, so about %.1f MiB at 48 (stack %.1f MiB; the global layers add their mask and table, 5 MiB)".format(
                two / MIB, three / MIB, (three + 45 * plane) / MIB, 49 * plane / MIB))
            assertEquals(plane, three - two, "a layer adds one 3840 × 1024 plane")
            // LTX-2 keeps only the prompt's own rows (here 32 tokens): a layer then adds 32 rows, not 1024.
            val keptTwo = measure(2, 32)
            val keptThree = measure(3, 32)
            println("keeping 32 tokens: %.1f MiB at 3 layers, about %.1f MiB at 48 (stack %.1f MiB)".format(
                keptThree / MIB, (keptThree + 45 * hidden * 32 * 4) / MIB, 49 * hidden * 32 * 4 / MIB))
            assertEquals(hidden * 32 * 4, keptThree - keptTwo, "a layer adds 32 rows of the stack")
        }
    }

    private companion object {
        const val MIB = 1024.0 * 1024.0
    }
}
