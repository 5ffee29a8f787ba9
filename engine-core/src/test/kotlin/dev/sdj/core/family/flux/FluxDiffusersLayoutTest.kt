package dev.sdj.core.family.flux

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.scheduler.BlockSchedule
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * [DiffusersFluxLayout]: the tiny model's weights renamed and split as diffusers' FluxTransformer2DModel stores them
 * (q, k, v and the single blocks' MLP input as tensors of their own, the final modulation as (scale, shift)) must give
 * the BFL float64 reference's velocity within [FluxDitTest]'s CPU bound (1e-3 [1.5e-4]), and the same values as the BFL
 * layout's graph, whose fused rows are views of what diffusers stores separately: each output row is the same dot
 * product, so [SAME] 1e-6 [0: bit for bit].
 */
class FluxDiffusersLayoutTest {
    private val ggml = Ggml.get()

    /** diffusers' tensors, sliced from the BFL model's values. */
    private class DiffusersCopy(bfl: Weights64, model: TinyFluxWeights) {
        val weights = RandomWeights(0)
        val specs = ArrayList<ParamSpec>()

        private fun put(name: String, values: Nd) {
            weights.set(name, values)
            specs.add(ParamSpec(name, GgmlType.F32, values.ne.map { it.toLong() }))
        }

        private fun linear(to: String, from: Weights64) {
            put("$to.weight", from.get("weight"))
            put("$to.bias", from.get("bias"))
        }

        private fun rows(to: List<String>, from: Weights64, widths: List<Int>) {
            var start = 0
            for ((name, width) in to.zip(widths)) {
                linear(name, FluxReference64.rows(from, start, width))
                start += width
            }
        }

        init {
            val h = model.hidden
            linear("x_embedder", bfl.at("img_in"))
            linear("context_embedder", bfl.at("txt_in"))
            for ((d, b) in listOf("timestep_embedder" to "time_in", "text_embedder" to "vector_in", "guidance_embedder" to "guidance_in")) {
                linear("time_text_embed.$d.linear_1", bfl.at("$b.in_layer"))
                linear("time_text_embed.$d.linear_2", bfl.at("$b.out_layer"))
            }
            for (i in 0 until model.doubleBlocks) {
                val d = "transformer_blocks.$i"
                val b = bfl.at("double_blocks.$i")
                linear("$d.norm1.linear", b.at("img_mod.lin"))
                linear("$d.norm1_context.linear", b.at("txt_mod.lin"))
                rows(listOf("to_q", "to_k", "to_v").map { "$d.attn.$it" }, b.at("img_attn.qkv"), listOf(h, h, h))
                rows(listOf("add_q_proj", "add_k_proj", "add_v_proj").map { "$d.attn.$it" }, b.at("txt_attn.qkv"), listOf(h, h, h))
                put("$d.attn.norm_q.weight", b.get("img_attn.norm.query_norm.scale"))
                put("$d.attn.norm_k.weight", b.get("img_attn.norm.key_norm.scale"))
                put("$d.attn.norm_added_q.weight", b.get("txt_attn.norm.query_norm.scale"))
                put("$d.attn.norm_added_k.weight", b.get("txt_attn.norm.key_norm.scale"))
                linear("$d.attn.to_out.0", b.at("img_attn.proj"))
                linear("$d.attn.to_add_out", b.at("txt_attn.proj"))
                linear("$d.ff.net.0.proj", b.at("img_mlp.0"))
                linear("$d.ff.net.2", b.at("img_mlp.2"))
                linear("$d.ff_context.net.0.proj", b.at("txt_mlp.0"))
                linear("$d.ff_context.net.2", b.at("txt_mlp.2"))
            }
            for (i in 0 until model.singleBlocks) {
                val d = "single_transformer_blocks.$i"
                val b = bfl.at("single_blocks.$i")
                rows(listOf("attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp").map { "$d.$it" }, b.at("linear1"), listOf(h, h, h, model.mlp))
                put("$d.attn.norm_q.weight", b.get("norm.query_norm.scale"))
                put("$d.attn.norm_k.weight", b.get("norm.key_norm.scale"))
                linear("$d.proj_out", b.at("linear2"))
                linear("$d.norm.linear", b.at("modulation.lin"))
            }
            linear("proj_out", bfl.at("final_layer.linear"))
            val adaLn = bfl.at("final_layer.adaLN_modulation.1")
            val swapped = Weights64 { part ->   // BFL (shift, scale) → diffusers (scale, shift)
                val (scale, shift) = listOf(FluxReference64.chunk(adaLn, 1, 2), FluxReference64.chunk(adaLn, 0, 2)).map { it.get(part) }
                Nd(if (part == "bias") intArrayOf(2 * h) else intArrayOf(h, 2 * h), scale.d + shift.d)
            }
            linear("norm_out.linear", swapped)
        }
    }

    @Test
    fun `diffusers names give the reference velocity and the BFL graph's values`() {
        TinyFluxWeights(seed = 41).use { model ->
            val copy = DiffusersCopy(model.weights.reference, model)
            copy.weights.use { diffusers ->
                assertTrue(FluxDit.hasGuidance(diffusers.on()))
                val rnd = Random(6)
                val floats = mapOf(
                    FluxDit.X to Nd.random(rnd, 1.0, W, H, model.channels, 1), FluxDit.CONTEXT to Nd.random(rnd, 1.0, model.contextWidth, TEXT, 1),
                    FluxDit.Y to Nd.random(rnd, 1.0, model.vectorWidth, 1), FluxDit.T to Nd.of(floatArrayOf(0.4f), 1),
                    FluxDit.GUIDANCE to Nd.of(floatArrayOf(4f), 1),
                    FluxDit.PE to Nd.of(FluxDit.ropeTable(diffusers.on(), W.toLong(), H.toLong(), TEXT.toLong()), model.headDim / 2, TEXT + W * H / 4, 2),
                )
                fun velocity(rw: RandomWeights) = rw.run(ggml.cpu(), floats) { g -> FluxDit.build(g, rw.on(), W.toLong(), H.toLong(), TEXT.toLong()) }
                val fromDiffusers = velocity(diffusers)
                val expected = FluxReference64.model(model.weights.reference, floats.getValue(FluxDit.X), 0.4f.toDouble(), floats.getValue(FluxDit.CONTEXT),
                    floats.getValue(FluxDit.Y), 4.0, FluxRope.axes(model.headDim))
                assertClose(fromDiffusers, expected, 1e-3, "flux dit, diffusers layout (cpu)")
                assertClose(fromDiffusers, Nd.of(velocity(model.weights), W, H, model.channels, 1), SAME, "flux dit, diffusers vs BFL layout (cpu)")
            }
        }
    }

    @Test
    fun `diffusers blocks stream in order`() {
        TinyFluxWeights(seed = 42).use { model ->
            val copy = DiffusersCopy(model.weights.reference, model)
            copy.weights.use { diffusers ->
                val w = diffusers.on()
                val blocks = FluxDitBlocks.of(copy.specs).blocks
                assertEquals(listOf("transformer_blocks.0", "transformer_blocks.1", "single_transformer_blocks.0", "single_transformer_blocks.1"),
                    blocks.map { it.name })
                ggml.newContext(16384, 16384).use { ctx ->
                    val out = FluxDitGraph(Nn(ctx), FluxLayout.of(w, ctx)).forward(
                        x = ctx.newTensor(GgmlType.F32, 6, 4, 16, 1).asInput(), t = ctx.newTensor(GgmlType.F32, 1).asInput(),
                        context = ctx.newTensor(GgmlType.F32, 48, 5, 1).asInput(), y = ctx.newTensor(GgmlType.F32, 40, 1).asInput(),
                        guidance = ctx.newTensor(GgmlType.F32, 1).asInput(), pe = ctx.newTensor(GgmlType.F32, 16, 11, 2).asInput(),
                    ).asOutput()
                    BlockSchedule.of(ggml, ctx.graph(16384, out), blocks.map { b -> b.specs.map { w.get(it.name) } }).use { s ->
                        assertEquals(listOf(0, 1, 2, 3), s.slices.map { it.block })
                    }
                }
            }
        }
    }

    private companion object {
        const val W = 6
        const val H = 4
        const val TEXT = 5
        const val SAME = 1e-6
    }
}
