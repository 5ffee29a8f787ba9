package dev.sdj.core.family.flux

import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext

/**
 * diffusers' FluxTransformer2DModel names: q, k and v (and the single blocks' MLP input) as separate tensors,
 * modulations as AdaLayerNormZero linears whose chunks are in BFL's order (shift, scale, gate, …), and a final
 * AdaLayerNormContinuous whose two chunks are (scale, shift), the reverse of BFL's. Nothing is fused or copied at
 * load: the graph reads the same roles through [FluxLayout].
 */
class DiffusersFluxLayout(private val w: Weights, private val ctx: GgmlContext) : FluxLayout {
    override val doubleBlocks: Int = count("transformer_blocks", "norm1.linear.weight")
    override val singleBlocks: Int = count("single_transformer_blocks", "norm.linear.weight")
    override val hasGuidance: Boolean = hasGuidance(w)
    override val headDim: Int = headDim(w)

    private fun count(prefix: String, probe: String): Int = FluxLayout.blockCount(w, prefix, probe)

    private fun linear(name: String) = Projection.of(w, name)

    private fun mlp(name: String) = MlpEmbedder(linear("$name.linear_1"), linear("$name.linear_2"))

    override fun imageIn() = linear("x_embedder")
    override fun textIn() = linear("context_embedder")
    override fun timeIn() = mlp("time_text_embed.timestep_embedder")
    override fun vectorIn() = mlp("time_text_embed.text_embedder")
    override fun guidanceIn() = if (hasGuidance) mlp("time_text_embed.guidance_embedder") else null

    override fun doubleBlock(i: Int): DoubleBlockWeights {
        require(i in 0 until doubleBlocks) { "double block $i of $doubleBlocks" }
        val b = "transformer_blocks.$i"
        return DoubleBlockWeights(
            image = stream("$b.norm1", "$b.attn", listOf("to_q", "to_k", "to_v"), "norm_q", "norm_k", "to_out.0", "$b.ff"),
            text = stream("$b.norm1_context", "$b.attn", listOf("add_q_proj", "add_k_proj", "add_v_proj"), "norm_added_q", "norm_added_k",
                "to_add_out", "$b.ff_context"),
        )
    }

    private fun stream(norm: String, attn: String, qkv: List<String>, qNorm: String, kNorm: String, out: String, ff: String): StreamWeights {
        val mod = linear("$norm.linear").chunks(ctx, 6)
        return StreamWeights(
            attentionModulation = Modulation(mod[0], mod[1], mod[2]),
            mlpModulation = Modulation(mod[3], mod[4], mod[5]),
            q = linear("$attn.${qkv[0]}"), k = linear("$attn.${qkv[1]}"), v = linear("$attn.${qkv[2]}"),
            queryNorm = w.get("$attn.$qNorm.weight"),
            keyNorm = w.get("$attn.$kNorm.weight"),
            attentionOut = linear("$attn.$out"),
            mlpIn = linear("$ff.net.0.proj"),
            mlpOut = linear("$ff.net.2"),
        )
    }

    override fun singleBlock(i: Int): SingleBlockWeights {
        require(i in 0 until singleBlocks) { "single block $i of $singleBlocks" }
        val b = "single_transformer_blocks.$i"
        val (shift, scale, gate) = linear("$b.norm.linear").chunks(ctx, 3)
        return SingleBlockWeights(
            modulation = Modulation(shift, scale, gate),
            q = linear("$b.attn.to_q"), k = linear("$b.attn.to_k"), v = linear("$b.attn.to_v"),
            mlpIn = linear("$b.proj_mlp"),
            queryNorm = w.get("$b.attn.norm_q.weight"),
            keyNorm = w.get("$b.attn.norm_k.weight"),
            out = linear("$b.proj_out"),
        )
    }

    override fun finalLayer(): FinalLayerWeights {
        val (scale, shift) = linear("norm_out.linear").chunks(ctx, 2)
        return FinalLayerWeights(Modulation(shift, scale, null), linear("proj_out"))
    }

    companion object {
        fun claims(w: Weights): Boolean = w.has("x_embedder.weight")

        fun hasGuidance(w: Weights): Boolean = w.has("time_text_embed.guidance_embedder.linear_1.weight")

        fun headDim(w: Weights): Int {
            val name = listOf("transformer_blocks.0.attn.norm_q.weight", "single_transformer_blocks.0.attn.norm_q.weight").firstOrNull { w.has(it) }
                ?: throw IllegalArgumentException("no Flux blocks: neither transformer_blocks.0 nor single_transformer_blocks.0 has a query norm")
            return w.get(name).ne(0).toInt()
        }
    }
}
