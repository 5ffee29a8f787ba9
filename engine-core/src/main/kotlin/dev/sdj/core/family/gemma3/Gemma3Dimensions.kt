package dev.sdj.core.family.gemma3

import dev.sdj.core.graph.Weights

/**
 * The sizes of a Gemma-3 text decoder, all read from its weights in llama.cpp's names, so the 12B (and a tiny test
 * model) need no configuration.
 *
 * @param hidden width of the hidden states (3840 for 12B): the token embedding's rows
 * @param heads query heads: attn_q's outputs / [headDim] (16)
 * @param kvHeads key/value heads: attn_k's outputs / [headDim] (8; each serves heads / kvHeads query heads)
 * @param headDim head width, the length of attn_q_norm (256, which is not hidden / heads in Gemma-3)
 * @param feedForward width of the gated MLP (15360)
 * @param layers decoder layers (48)
 * @param vocabulary rows of the token embedding (262208)
 */
data class Gemma3Dimensions(
    val hidden: Long,
    val heads: Int,
    val kvHeads: Int,
    val headDim: Long,
    val feedForward: Long,
    val layers: Int,
    val vocabulary: Long,
) {
    init {
        require(heads % kvHeads == 0) { "$heads query heads do not share $kvHeads key/value heads evenly" }
        require(headDim % 2 == 0L) { "RoPE rotates pairs: the head width must be even, got $headDim" }
    }

    companion object {
        fun of(w: Weights): Gemma3Dimensions {
            val embedding = w.get(Gemma3Names.EMBEDDING)                     // ggml [hidden, vocabulary]
            val headDim = w.get("blk.0.attn_q_norm.weight").ne(0)
            val q = w.get("blk.0.attn_q.weight").ne(1)
            val k = w.get("blk.0.attn_k.weight").ne(1)
            require(q % headDim == 0L && k % headDim == 0L) { "q ($q) and k ($k) outputs are not whole heads of $headDim" }
            return Gemma3Dimensions(
                hidden = embedding.ne(0),
                heads = (q / headDim).toInt(),
                kvHeads = (k / headDim).toInt(),
                headDim = headDim,
                feedForward = w.get("blk.0.ffn_gate.weight").ne(1),
                layers = generateSequence(0) { it + 1 }.takeWhile { w.has("blk.$it.attn_norm.weight") }.count(),
                vocabulary = embedding.ne(1),
            )
        }
    }
}
