package dev.sdj.core.family.flux

import dev.sdj.core.graph.Nn
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.scheduler.BlockSchedule
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The DiT's streaming units, and that the graph reads each one in a single stretch, in that order. */
class FluxDitBlocksTest {

    @Test
    fun `double blocks then single blocks in numeric order, the rest core`() {
        val names = listOf("img_in.weight", "single_blocks.10.linear1.weight", "double_blocks.2.img_mod.lin.weight", "single_blocks.9.linear2.bias",
            "double_blocks.10.txt_attn.qkv.weight", "final_layer.linear.weight", "single_blocks.0.norm.query_norm.scale", "double_blocks.2.txt_mlp.0.bias",
            "time_in.in_layer.weight", "guidance_in.out_layer.bias")
        val s = FluxDitBlocks.of(names.map { ParamSpec(it, GgmlType.F32, listOf(4L)) })
        assertEquals(listOf("double_blocks.2", "double_blocks.10", "single_blocks.0", "single_blocks.9", "single_blocks.10"), s.blocks.map { it.name })
        assertEquals(listOf("double_blocks.2.img_mod.lin.weight", "double_blocks.2.txt_mlp.0.bias"), s.blocks[0].specs.map { it.name })
        assertEquals(setOf("img_in.weight", "final_layer.linear.weight", "time_in.in_layer.weight", "guidance_in.out_layer.bias"), s.core.map { it.name }.toSet())
    }

    /** The scheduler refuses a graph that reads a block twice, out of order, or two blocks in one node. */
    @Test
    fun `the graph reads every block once, in streaming order`() {
        val ggml = Ggml.get()
        TinyFluxWeights(seed = 31, doubleBlocks = 3, singleBlocks = 3).use { model ->
            val w = model.weights.on()
            val blocks = FluxDitBlocks.of(model.specs).blocks
            assertEquals(6, blocks.size)
            ggml.newContext(16384, 16384).use { ctx ->
                val dit = FluxDitGraph(Nn(ctx), BflFluxLayout(w, ctx))
                val out = dit.forward(
                    x = ctx.newTensor(GgmlType.F32, 6, 4, 16, 1).asInput(), t = ctx.newTensor(GgmlType.F32, 1).asInput(),
                    context = ctx.newTensor(GgmlType.F32, 48, 5, 1).asInput(), y = ctx.newTensor(GgmlType.F32, 40, 1).asInput(),
                    guidance = ctx.newTensor(GgmlType.F32, 1).asInput(), pe = ctx.newTensor(GgmlType.F32, 16, 11, 2).asInput(),
                ).asOutput()
                val graph = ctx.graph(16384, out)
                BlockSchedule.of(ggml, graph, blocks.map { b -> b.specs.map { w.get(it.name) } }).use { schedule ->
                    assertEquals((0 until 6).toList(), schedule.slices.map { it.block })
                    assertTrue(schedule.slices.sumOf { it.nodes } == graph.nodeCount())
                }
            }
        }
    }
}
