package dev.sdj.core.family.gemma3

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nn
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.scheduler.BlockSchedule
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Gemma-3's streaming units, and that the stack reads each one in a single stretch, in that order. */
class Gemma3BlocksTest {

    @Test
    fun `layers in numeric order, the embedding and final norm core`() {
        val names = listOf("token_embd.weight", "blk.10.attn_q.weight", "blk.2.ffn_down.weight", "output_norm.weight", "blk.2.attn_norm.weight", "blk.9.post_ffw_norm.weight")
        val s = Gemma3Blocks.of(names.map { ParamSpec(it, GgmlType.F32, listOf(4L)) })
        assertEquals(listOf("blk.2", "blk.9", "blk.10"), s.blocks.map { it.name })
        assertEquals(listOf("blk.2.ffn_down.weight", "blk.2.attn_norm.weight"), s.blocks[0].specs.map { it.name })
        assertEquals(setOf("token_embd.weight", "output_norm.weight"), s.core.map { it.name }.toSet())
    }

    /** The scheduler refuses a graph that reads a block twice, out of order, or two blocks in one node. */
    @Test
    fun `the stack reads every layer once, in streaming order`() {
        val shape = Gemma3Reference64.Shape(hidden = 32, heads = 2, kvHeads = 1, headDim = 24, feedForward = 64, layers = 7, vocabulary = 50)
        RandomWeights(21).use { rw ->
            val specs = Gemma3Reference64.weights(rw, shape)
            val w = rw.on()
            val blocks = Gemma3Blocks.of(specs).blocks
            assertEquals(7, blocks.size)
            rw.ggml.newContext(16384, 16384).use { ctx ->
                val t = 10L
                val tables = mapOf(false to (ctx.newTensor(GgmlType.F32, 12, t, 2).asInput() to ctx.newTensor(GgmlType.F32, t, t).asInput()),
                    true to (ctx.newTensor(GgmlType.F32, 12, t, 2).asInput() to ctx.newTensor(GgmlType.F32, t, t).asInput()))
                val copies = ArrayList<Tensor>()
                val out = Gemma3Encoder.of(w, window = 4).encode(Nn(ctx), w, ctx.newTensor(GgmlType.I32, t).asInput(), tables::getValue, copies::add).asOutput()
                assertEquals(8, copies.size, "a copy per hidden state")
                val graph = ctx.graph(16384, out, *copies.toTypedArray())
                BlockSchedule.of(rw.ggml, graph, blocks.map { b -> b.specs.map { w.get(it.name) } }).use { schedule ->
                    assertEquals((0 until 7).toList(), schedule.slices.map { it.block })
                    assertTrue(schedule.slices.sumOf { it.nodes } == graph.nodeCount())
                }
            }
        }
    }
}
