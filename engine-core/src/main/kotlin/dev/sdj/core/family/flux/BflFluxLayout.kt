package dev.sdj.core.family.flux

import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext

/**
 * Black Forest Labs' names, relative to the diffusion model's root: fused q/k/v (`qkv`), fused modulation chunks
 * (`lin`: shift, scale, gate, and for double blocks a second shift, scale, gate for the MLP), single blocks'
 * `linear1` holding q, k, v and the MLP's input rows in that order, and the final layer's (shift, scale).
 */
class BflFluxLayout(private val w: Weights, private val ctx: GgmlContext) : FluxLayout {
    override val doubleBlocks: Int = count("double_blocks", "img_mod.lin.weight")
    override val singleBlocks: Int = count("single_blocks", "modulation.lin.weight")
    override val hasGuidance: Boolean = hasGuidance(w)
    override val headDim: Int = headDim(w)

    private fun count(prefix: String, probe: String): Int = FluxLayout.blockCount(w, prefix, probe)

    private fun linear(name: String) = Projection.of(w, name)

    private fun mlp(name: String) = MlpEmbedder(linear("$name.in_layer"), linear("$name.out_layer"))

    override fun imageIn() = linear("img_in")
    override fun textIn() = linear("txt_in")
    override fun timeIn() = mlp("time_in")
    override fun vectorIn() = mlp("vector_in")
    override fun guidanceIn() = if (hasGuidance) mlp("guidance_in") else null

    override fun doubleBlock(i: Int): DoubleBlockWeights {
        requireBlock(i, doubleBlocks, "double")
        return DoubleBlockWeights(stream("double_blocks.$i", "img"), stream("double_blocks.$i", "txt"))
    }

    private fun stream(block: String, s: String): StreamWeights {
        val mod = linear("$block.${s}_mod.lin").chunks(ctx, 6)
        val (q, k, v) = linear("$block.${s}_attn.qkv").chunks(ctx, 3)
        return StreamWeights(
            attentionModulation = Modulation(mod[0], mod[1], mod[2]),
            mlpModulation = Modulation(mod[3], mod[4], mod[5]),
            q = q, k = k, v = v,
            queryNorm = w.get("$block.${s}_attn.norm.query_norm.scale"),
            keyNorm = w.get("$block.${s}_attn.norm.key_norm.scale"),
            attentionOut = linear("$block.${s}_attn.proj"),
            mlpIn = linear("$block.${s}_mlp.0"),
            mlpOut = linear("$block.${s}_mlp.2"),
        )
    }

    override fun singleBlock(i: Int): SingleBlockWeights {
        requireBlock(i, singleBlocks, "single")
        val b = "single_blocks.$i"
        val (shift, scale, gate) = linear("$b.modulation.lin").chunks(ctx, 3)
        val out = linear("$b.linear2")
        val linear1 = linear("$b.linear1")
        val hidden = out.outFeatures
        require(linear1.outFeatures > 3 * hidden) { "$b.linear1 has ${linear1.outFeatures} outputs, not 3×$hidden + an MLP width" }
        return SingleBlockWeights(
            modulation = Modulation(shift, scale, gate),
            q = linear1.rows(ctx, 0, hidden),
            k = linear1.rows(ctx, hidden, hidden),
            v = linear1.rows(ctx, 2 * hidden, hidden),
            mlpIn = linear1.rows(ctx, 3 * hidden, linear1.outFeatures - 3 * hidden),
            queryNorm = w.get("$b.norm.query_norm.scale"),
            keyNorm = w.get("$b.norm.key_norm.scale"),
            out = out,
        )
    }

    override fun finalLayer(): FinalLayerWeights {
        val (shift, scale) = linear("final_layer.adaLN_modulation.1").chunks(ctx, 2)
        return FinalLayerWeights(Modulation(shift, scale, null), linear("final_layer.linear"))
    }

    private fun requireBlock(i: Int, count: Int, kind: String) =
        require(i in 0 until count) { "$kind block $i of $count" }

    companion object {
        /** Flux.1-dev and other guidance-distilled models embed the guidance scale; schnell has no such embedder. */
        fun hasGuidance(w: Weights): Boolean = w.has("guidance_in.in_layer.weight")

        /** The length of the first block's query-norm gain. */
        fun headDim(w: Weights): Int {
            val name = listOf("double_blocks.0.img_attn.norm.query_norm.scale", "single_blocks.0.norm.query_norm.scale").firstOrNull { w.has(it) }
                ?: throw IllegalArgumentException("no Flux blocks: neither double_blocks.0 nor single_blocks.0 has a query norm")
            return w.get(name).ne(0).toInt()
        }
    }
}
