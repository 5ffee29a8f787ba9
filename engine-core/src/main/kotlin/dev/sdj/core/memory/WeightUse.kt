package dev.sdj.core.memory

/**
 * How the model graphs read a parameter, which decides the ops its type must suit: vectors (biases, norm scales)
 * are added and multiplied element-wise, matrices multiplied ([dev.sdj.ggml.GgmlContext.mulMat]), embedding tables
 * read by rows and cast, kernels convolved through im2col. Told apart by rank and name, as the SD-family graphs and
 * the T5 encoder use them.
 */
enum class WeightUse {
    VECTOR, MATRIX, TABLE, KERNEL;

    companion object {
        fun of(name: String, ggmlShape: List<Long>): WeightUse = when {
            ggmlShape.size == 1 -> VECTOR
            name.contains("embedding") || isT5Table(name) -> TABLE
            ggmlShape.size == 4 -> KERNEL
            else -> MATRIX
        }

        /** T5's token embedding (`shared`, or its tied `encoder.embed_tokens`) and relative attention bias: read by rows. */
        private fun isT5Table(name: String): Boolean =
            name == "shared.weight" || name.endsWith(".shared.weight") || name.endsWith("embed_tokens.weight") ||
                name.contains("relative_attention_bias")
    }
}
