package dev.sdj.core.family.flux

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Nn
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.scheduler.BlockSchedule
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Flux.1-dev's real shapes (width 3072, 24 heads of 128, MLP 12288, 19 double and 38 single blocks, T5 width 4096,
 * CLIP-L 768) as metadata only, at 1024×1024 (a 128×128 latent) with 512 text tokens: the graph must fit a
 * [CompiledGraph]'s default node budget and read its 57 blocks in streaming order. Nothing is computed.
 */
class FluxDitSizeTest {
    private val ggml = Ggml.get()

    @Test
    fun `flux dev at 1024x1024 fits the default node budget and streams block by block`() {
        val h = 3072L
        val mlp = 12288L
        val specs = ArrayList<ParamSpec>()
        fun linear(name: String, inF: Long, outF: Long) {
            specs.add(ParamSpec("$name.weight", GgmlType.Q8_0, listOf(inF, outF)))
            specs.add(ParamSpec("$name.bias", GgmlType.F32, listOf(outF)))
        }
        linear("img_in", 64, h)
        linear("txt_in", 4096, h)
        for ((e, inF) in listOf("time_in" to 256L, "vector_in" to 768L, "guidance_in" to 256L)) {
            linear("$e.in_layer", inF, h)
            linear("$e.out_layer", h, h)
        }
        for (i in 0 until 19) for (s in listOf("img", "txt")) {
            val b = "double_blocks.$i.$s"
            linear("${b}_mod.lin", h, 6 * h)
            linear("${b}_attn.qkv", h, 3 * h)
            linear("${b}_attn.proj", h, h)
            linear("${b}_mlp.0", h, mlp)
            linear("${b}_mlp.2", mlp, h)
            for (n in listOf("query_norm", "key_norm")) specs.add(ParamSpec("${b}_attn.norm.$n.scale", GgmlType.F32, listOf(128L)))
        }
        for (i in 0 until 38) {
            val b = "single_blocks.$i"
            linear("$b.linear1", h, 3 * h + mlp)
            linear("$b.linear2", h + mlp, h)
            linear("$b.modulation.lin", h, 3 * h)
            for (n in listOf("query_norm", "key_norm")) specs.add(ParamSpec("$b.norm.$n.scale", GgmlType.F32, listOf(128L)))
        }
        linear("final_layer.linear", h, 64)
        linear("final_layer.adaLN_modulation.1", h, 2 * h)

        ggml.newContext(specs.size).use { params ->
            val tensors: Map<String, Tensor> = specs.associate { it.name to params.newTensor(it.type, *it.shape.toLongArray()).name(it.name) }
            val w = MapWeights(tensors)
            ggml.newContext(CompiledGraph.DEFAULT_NODES, CompiledGraph.DEFAULT_NODES).use { ctx ->
                val out = FluxDitGraph(Nn(ctx), FluxLayout.of(w, ctx)).forward(
                    x = ctx.newTensor(GgmlType.F32, 128, 128, 16, 1), t = ctx.newTensor(GgmlType.F32, 1),
                    context = ctx.newTensor(GgmlType.F32, 4096, 512, 1), y = ctx.newTensor(GgmlType.F32, 768, 1),
                    guidance = ctx.newTensor(GgmlType.F32, 1), pe = ctx.newTensor(GgmlType.F32, 64, 512 + 64 * 64, 2),
                )
                assertEquals(listOf(128L, 128L, 16L, 1L), out.shape().toList())
                val graph = ctx.graph(CompiledGraph.DEFAULT_NODES, out)
                println("flux dev 1024×1024: ${graph.nodeCount()} graph nodes of ${CompiledGraph.DEFAULT_NODES}")
                assertTrue(graph.nodeCount() < CompiledGraph.DEFAULT_NODES)
                val blocks = FluxDitBlocks.of(specs).blocks
                assertEquals(57, blocks.size)
                BlockSchedule.of(ggml, graph, blocks.map { b -> b.specs.map { tensors.getValue(it.name) } }).use { s ->
                    assertEquals((0 until 57).toList(), s.slices.map { it.block })
                }
            }
        }
    }
}
