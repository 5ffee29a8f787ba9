package dev.sdj.core.family.t5

import dev.sdj.core.graph.Weights

/**
 * The sizes of a T5 v1.1 encoder, all read from its weights (Hugging Face names under the T5 component's root), so
 * any size of T5 (small to XXL, or a tiny test model) needs no configuration.
 *
 * @param model width of the hidden states (d_model; 4096 for T5-XXL)
 * @param heads attention heads: the bias table's columns
 * @param inner width of q, k and v: heads × [headSize] (equal to [model] in every released T5 v1.1)
 * @param feedForward width of the gated feed-forward layer (d_ff; 10240 for T5-XXL)
 * @param layers encoder blocks
 * @param buckets relative-position buckets: the bias table's rows (32)
 * @param vocabulary rows of the token embedding (32128 for T5 v1.1, more than the tokenizer's 32100 pieces)
 */
data class T5Dimensions(
    val model: Long,
    val heads: Int,
    val inner: Long,
    val feedForward: Long,
    val layers: Int,
    val buckets: Int,
    val vocabulary: Long,
) {
    val headSize: Long get() = inner / heads

    companion object {
        const val BIAS_TABLE = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"

        /**
         * The token embedding: `shared.weight`, or the encoder's tied copy where a file keeps only that (Hugging Face
         * writes both names for one tensor, and a converter may drop either).
         */
        fun embeddingName(w: Weights): String = if (w.has(SHARED) || !w.has(TIED)) SHARED else TIED

        private const val SHARED = "shared.weight"
        private const val TIED = "encoder.embed_tokens.weight"

        fun of(w: Weights): T5Dimensions {
            val embedding = w.get(embeddingName(w))                 // ggml [model, vocabulary]
            val table = w.get(BIAS_TABLE)                           // ggml [heads, buckets]
            val q = w.get("encoder.block.0.layer.0.SelfAttention.q.weight")
            val layers = generateSequence(0) { it + 1 }.takeWhile { w.has("encoder.block.$it.layer.0.layer_norm.weight") }.count()
            val heads = table.ne(0).toInt()
            require(q.ne(1) % heads == 0L) { "q's ${q.ne(1)} outputs do not split into the bias table's $heads heads" }
            return T5Dimensions(
                model = embedding.ne(0),
                heads = heads,
                inner = q.ne(1),
                feedForward = w.get("encoder.block.0.layer.1.DenseReluDense.wi_0.weight").ne(1),
                layers = layers,
                buckets = table.ne(1).toInt(),
                vocabulary = embedding.ne(1),
            )
        }
    }
}
