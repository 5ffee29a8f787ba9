package dev.sdj.core.family.clip

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * CLIP's text transformer in Hugging Face naming (under "text_model."): token and position embeddings, causal
 * pre-norm layers, a final layer norm. Layer count and width come from the weights; every released CLIP uses
 * 64-wide heads (tiny test models narrower than that use one head).
 *
 * @param quickGelu OpenAI CLIP-L (SD 1.x) uses x·σ(1.702x); OpenCLIP encoders use GELU
 */
class ClipTextEncoder(private val quickGelu: Boolean) {
    /** Tokens per encoder pass (BOS, 75 prompt tokens, EOS): CLIP's context length, which prompts are chunked to. */
    val contextTokens: Int = 77

    /** A layer's hidden states and the pooled, projected text embedding, from one pass through the layers. */
    class HiddenAndPooled(val hidden: Tensor, val pooled: Tensor)

    /**
     * @param tokens i32 token ids [T, N]
     * @param clipSkip 1 = the last layer's output, 2 = the penultimate's (SD 2.x, SDXL, many SD 1.x fine-tunes), …
     * @param finalLayerNorm whether the chosen layer's output goes through the final layer norm: SD 1.x and 2.x
     *   normalise whatever layer they take; SDXL's two encoders hand the penultimate layer on as it is
     *   (stable-diffusion.cpp builds both with `with_final_ln = false`, diffusers takes `hidden_states[-2]`)
     * @return hidden states [hidden, T, N]
     */
    fun build(nn: Nn, w: Weights, tokens: Tensor, clipSkip: Int = 1, finalLayerNorm: Boolean = true): Tensor {
        var x = embed(nn, w, tokens)
        val layers = layerCount(w)
        require(clipSkip in 1..layers) { "clip skip must be between 1 and $layers, got $clipSkip" }
        for (i in 0..layers - clipSkip) x = layer(nn, w.at("encoder.layers.$i"), x, heads(w))
        return if (finalLayerNorm) nn.layerNorm(x, w.at("final_layer_norm")) else x
    }

    /**
     * [build]'s hidden states together with the pooled text embedding SDXL conditions on: the last layer's output
     * through the final layer norm, at each sequence's end-of-text position, times the text projection. The layers
     * the two share run once.
     *
     * @param w the text model (the weights under "text_model.")
     * @param projection the weights beside "text_model.", holding either `text_projection.weight` — a Hugging Face
     *   Linear without bias, [out, in] in PyTorch, y = W·x — or `text_projection`, OpenCLIP's matrix applied as x·P,
     *   [in, out] in PyTorch; either may be stored in any type
     * @param eos i32 [N]: the position of each sequence's end-of-text token (its first EOS: the largest id, which is
     *   where OpenCLIP's argmax lands)
     */
    fun buildWithPooled(nn: Nn, w: Weights, projection: Weights, tokens: Tensor, eos: Tensor, clipSkip: Int,
                        finalLayerNorm: Boolean): HiddenAndPooled {
        val ctx = nn.ctx
        var x = embed(nn, w, tokens)
        val layers = layerCount(w)
        require(clipSkip in 1..layers) { "clip skip must be between 1 and $layers, got $clipSkip" }
        var hidden: Tensor? = null
        for (i in 0 until layers) {
            x = layer(nn, w.at("encoder.layers.$i"), x, heads(w))
            if (i == layers - clipSkip) hidden = if (finalLayerNorm) nn.layerNorm(x, w.at("final_layer_norm")) else x
        }
        val last = nn.layerNorm(x, w.at("final_layer_norm"))                                    // [hidden, T, N]
        val n = tokens.ne(1)
        require(eos.ne(0) == n) { "one end-of-text position per sequence: ${eos.ne(0)} for $n sequences" }
        val picked = ctx.getRows(last, ctx.reshape(eos, 1, n))                                  // [hidden, 1, N]
        val pooled = project(nn, projection, ctx.reshape(picked, last.ne(0), n))                // [projection, N]
        return HiddenAndPooled(hidden!!, pooled)
    }

    private fun project(nn: Nn, w: Weights, x: Tensor): Tensor {
        val ctx = nn.ctx
        return when {
            w.has("text_projection.weight") -> nn.linear(x, w.at("text_projection"), bias = false)
            w.has("text_projection") -> {
                // x·P is Pᵀ's product in ggml's terms; transposing needs a float copy, as ggml copies no quantized views
                val p = w.get("text_projection")
                val float = if (p.type() == GgmlType.F32 || p.type() == GgmlType.F16) p else ctx.cast(p, GgmlType.F32)
                ctx.mulMat(ctx.cont(ctx.transpose(float)), x)
            }
            else -> throw NoSuchElementException("no text projection ('text_projection.weight' or 'text_projection')")
        }
    }

    private fun layerCount(w: Weights) =
        generateSequence(0) { it + 1 }.takeWhile { w.has("encoder.layers.$it.layer_norm1.weight") }.count()

    private fun heads(w: Weights): Int {
        val hidden = w.get("embeddings.token_embedding.weight").ne(0)
        return if (hidden % 64 == 0L) (hidden / 64).toInt() else 1
    }

    /** Token plus position embeddings [hidden, T, N]. */
    private fun embed(nn: Nn, w: Weights, tokens: Tensor): Tensor {
        val ctx = nn.ctx
        val table = w.get("embeddings.token_embedding.weight")
        val hidden = table.ne(0)
        val t = tokens.ne(0)
        val positions = w.get("embeddings.position_embedding.weight")
        require(t <= positions.ne(1)) { "$t tokens exceed the encoder's ${positions.ne(1)} positions" }
        val x = ctx.getRows(table, tokens)
        // ggml adds f32 operands only; the position table may be stored in f16
        return ctx.add(x, ctx.cast(ctx.view2d(positions, hidden, t, positions.strides()[1], 0), GgmlType.F32))
    }

    fun layer(nn: Nn, w: Weights, x: Tensor, heads: Int): Tensor {
        val ctx = nn.ctx
        var n = nn.layerNorm(x, w.at("layer_norm1"))
        val q = nn.linear(n, w.at("self_attn.q_proj"))
        val k = nn.linear(n, w.at("self_attn.k_proj"))
        val v = nn.linear(n, w.at("self_attn.v_proj"))
        val h = ctx.add(x, nn.linear(nn.attention(q, k, v, heads, causal = true), w.at("self_attn.out_proj")))
        n = nn.layerNorm(h, w.at("layer_norm2"))
        val up = nn.linear(n, w.at("mlp.fc1"))
        val act = if (quickGelu) ctx.geluQuick(up) else ctx.gelu(up)
        return ctx.add(h, nn.linear(act, w.at("mlp.fc2")))
    }
}
