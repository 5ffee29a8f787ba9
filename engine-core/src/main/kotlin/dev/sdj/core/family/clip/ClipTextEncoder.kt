package dev.sdj.core.family.clip

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
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


    /**
     * @param tokens i32 token ids [T, N]
     * @param clipSkip 1 = the last layer's output, 2 = the penultimate's (SD 2.x, many SD 1.x fine-tunes), …
     * @return hidden states after the final layer norm [hidden, T, N]
     */
    fun build(nn: Nn, w: Weights, tokens: Tensor, clipSkip: Int = 1): Tensor {
        val ctx = nn.ctx
        val layers = generateSequence(0) { it + 1 }.takeWhile { w.has("encoder.layers.$it.layer_norm1.weight") }.count()
        require(clipSkip in 1..layers) { "clip skip must be between 1 and $layers, got $clipSkip" }
        val table = w.get("embeddings.token_embedding.weight")
        val hidden = table.ne(0)
        val heads = if (hidden % 64 == 0L) (hidden / 64).toInt() else 1
        val t = tokens.ne(0)
        val positions = w.get("embeddings.position_embedding.weight")
        require(t <= positions.ne(1)) { "$t tokens exceed the encoder's ${positions.ne(1)} positions" }
        var x = ctx.getRows(table, tokens)                                                   // [hidden, T, N]
        // ggml adds f32 operands only; the position table may be stored in f16
        x = ctx.add(x, ctx.cast(ctx.view2d(positions, hidden, t, positions.strides()[1], 0), dev.sdj.ggml.GgmlType.F32))
        for (i in 0..layers - clipSkip) {
            x = layer(nn, w.at("encoder.layers.$i"), x, heads)
        }
        return nn.layerNorm(x, w.at("final_layer_norm"))
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
