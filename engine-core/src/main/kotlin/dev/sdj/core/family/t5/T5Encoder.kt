package dev.sdj.core.family.t5

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * The T5 v1.1 encoder stack (Flux.1's and SD3's T5-XXL) over weights in Hugging Face names relative to the T5
 * component's root (`shared.weight`, `encoder.block.N.…`, `encoder.final_layer_norm.weight`): token embedding,
 * pre-norm blocks of self-attention with a relative position bias then a gated-GELU feed-forward layer, a final
 * RMS norm. What T5 does differently from the other transformers here: RMS norms without mean subtraction or bias,
 * no biases in any projection, attention logits not scaled by 1/√d (T5 folds that into its initialisation), and a
 * learned bias per head and relative-position bucket instead of position embeddings, which T5 v1.1 holds in block 0
 * only and every block adds.
 *
 * No attention mask: stable-diffusion.cpp runs Flux's T5 over the padded sequence with padding visible, and so does
 * diffusers' Flux pipeline. Attention is built here rather than through the engine's [dev.sdj.core.graph.Attention]
 * paths, which neither add a per-head bias nor leave the logits unscaled; its score matrix is small
 * (heads × tokens², 16 MiB for T5-XXL over 256 tokens).
 */
class T5Encoder(val dimensions: T5Dimensions) {

    /**
     * The encoder's graph over [tokens] token ids, declaring the inputs [TOKENS] and [BUCKETS] that [setInputs] fills.
     *
     * @return the last hidden states after the final norm, f32 [model, tokens, 1]
     */
    fun build(g: CompiledGraph.Builder, w: Weights, tokens: Long): Tensor {
        val given = T5Dimensions.of(w)
        require(given == dimensions) { "these weights are a T5 of $given, the encoder was made for $dimensions" }
        val ids = g.input(TOKENS, GgmlType.I32, tokens)
        val buckets = g.input(BUCKETS, GgmlType.I32, tokens * tokens)
        return encode(g.nn, w, ids, buckets)
    }

    /**
     * Sets the token ids (as [T5Tokenizer.tokenize] gives them, padding included) and the bucket table their length
     * implies; [ids] must be exactly as long as the graph's input.
     */
    fun setInputs(graph: CompiledGraph, ids: IntArray) {
        val tokens = graph.input(TOKENS)
        require(tokens.ne(0) == ids.size.toLong()) { "the graph encodes ${tokens.ne(0)} tokens, ${ids.size} were given" }
        require(ids.all { it >= 0 && it < dimensions.vocabulary }) {
            "token ids must lie in 0 until ${dimensions.vocabulary}: ${ids.filter { it < 0 || it >= dimensions.vocabulary }.take(5)}"
        }
        tokens.setInts(ids)
        graph.input(BUCKETS).setInts(T5RelativePositions.table(ids.size, dimensions.buckets))
    }

    /** The whole stack over i32 [ids] [T] with the bucket table [buckets] [T·T]. */
    fun encode(nn: Nn, w: Weights, ids: Tensor, buckets: Tensor): Tensor {
        val ctx = nn.ctx
        val t = ids.ne(0)
        var x = ctx.reshape(ctx.getRows(w.get(T5Dimensions.embeddingName(w)), ids), dimensions.model, t, 1)
        var bias: Tensor? = null
        for (i in 0 until dimensions.layers) {
            val b = w.at("encoder.block.$i")
            // T5 v1.1 holds one table, in block 0, which every block reuses (Hugging Face passes position_bias on);
            // UMT5 gives every block its own: a block's own table wins either way
            if (b.has(OWN_TABLE)) bias = positionBias(nn, b.get(OWN_TABLE), buckets, t)
            x = block(nn, b, x, bias!!)
        }
        return rmsNorm(nn, x, w.get("encoder.final_layer_norm.weight"))
    }

    /**
     * The attention bias of every head, f32 [keys, queries, heads, 1]: row b of the bias table ([heads, buckets] in
     * ggml order, torch's Embedding(buckets, heads)) for each query–key pair's bucket in [buckets].
     */
    fun positionBias(nn: Nn, table: Tensor, buckets: Tensor, tokens: Long): Tensor {
        val ctx = nn.ctx
        val perPair = ctx.getRows(table, buckets)                                              // [heads, T·T]
        return ctx.cont(ctx.permute(ctx.reshape(perPair, table.ne(0), tokens, tokens), 2, 0, 1, 3))   // [T, T, heads]
    }

    /** One encoder block, `encoder.block.N`, over hidden states [model, T, 1] with the shared [bias]. */
    fun block(nn: Nn, w: Weights, x: Tensor, bias: Tensor): Tensor {
        val ctx = nn.ctx
        val attended = ctx.add(x, selfAttention(nn, w.at("layer.0.SelfAttention"), rmsNorm(nn, x, w.get("layer.0.layer_norm.weight")), bias))
        return ctx.add(attended, feedForward(nn, w.at("layer.1.DenseReluDense"), rmsNorm(nn, attended, w.get("layer.1.layer_norm.weight"))))
    }

    private fun selfAttention(nn: Nn, w: Weights, x: Tensor, bias: Tensor): Tensor {
        val ctx = nn.ctx
        val d = dimensions.headSize
        val heads = dimensions.heads.toLong()
        val t = x.ne(1)
        fun headsOuter(p: Tensor) = ctx.cont(ctx.permute(ctx.reshape(p, d, heads, t, 1), 0, 2, 1, 3))   // [d, T, heads]
        val q = headsOuter(nn.linear(x, w.at("q"), bias = false))
        val k = headsOuter(nn.linear(x, w.at("k"), bias = false))
        val v = nn.linear(x, w.at("v"), bias = false)
        val vt = ctx.cont(ctx.permute(ctx.reshape(v, d, heads, t, 1), 1, 2, 0, 3))              // [T, d, heads]
        val scores = ctx.add(ctx.mulMat(k, q), bias)                                            // [keys, queries, heads]
        val mixed = ctx.mulMat(vt, ctx.softMax(scores, null, 1f))                               // [d, queries, heads]
        val joined = ctx.reshape(ctx.cont(ctx.permute(mixed, 0, 2, 1, 3)), dimensions.inner, t, 1)
        return nn.linear(joined, w.at("o"), bias = false)
    }

    /**
     * gelu(wi_0·x) ⊙ (wi_1·x), then wo. The product reaches past f16's 65504 in T5-XXL, and backends round wo's input
     * to f16 (ggml's CPU when wo is f16, converting it to the weight's type; ggml-vulkan on lavapipe even for f32
     * weights; CUDA's f16 GEMM), giving infinities: so wo multiplies the product scaled by 1/[WO_INPUT_SCALE] and its
     * result is scaled back, as stable-diffusion.cpp does with the same power of two (which changes no rounding outside
     * f16's subnormal range, so the results agree with sd.cpp's; T5EncoderTest gets NaN without it). wo's product is
     * also asked to accumulate in f32, for backends that would otherwise accumulate f16 products in f16.
     */
    private fun feedForward(nn: Nn, w: Weights, x: Tensor): Tensor {
        val ctx = nn.ctx
        val gated = ctx.mul(ctx.gelu(nn.linear(x, w.at("wi_0"), bias = false)), nn.linear(x, w.at("wi_1"), bias = false))
        val down = ctx.accumulateInF32(ctx.mulMat(w.get("wo.weight"), ctx.scale(gated, 1f / WO_INPUT_SCALE)))
        return ctx.scale(down, WO_INPUT_SCALE)
    }

    /** T5LayerNorm: x / √(mean(x²) + ε) · weight, without mean subtraction or bias. */
    private fun rmsNorm(nn: Nn, x: Tensor, weight: Tensor): Tensor = nn.ctx.mul(nn.ctx.rmsNorm(x, EPS), weight)


    companion object {
        /** The graph input of token ids, i32 [T]. */
        const val TOKENS = "tokens"

        /** The graph input of relative-position buckets, i32 [T·T] as [T5RelativePositions.table] lays them out. */
        const val BUCKETS = "t5_relative_buckets"

        /** T5LayerNorm's ε, fixed by the architecture (T5 v1.1's config: layer_norm_epsilon 1e-6). */
        const val EPS = 1e-6f

        /** stable-diffusion.cpp's scale for wo's input (see [feedForward]). */
        const val WO_INPUT_SCALE = 32f

        private const val OWN_TABLE = "layer.0.SelfAttention.relative_attention_bias.weight"

        fun of(w: Weights): T5Encoder = T5Encoder(T5Dimensions.of(w))
    }
}
