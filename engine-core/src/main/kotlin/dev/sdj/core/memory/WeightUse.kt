package dev.sdj.core.memory

/**
 * How the model graphs read a parameter, which decides the ops its type must suit: vectors (biases, norm scales)
 * are added and multiplied element-wise, matrices multiplied ([dev.sdj.ggml.GgmlContext.mulMat]), embedding tables
 * read by rows and cast, kernels convolved through im2col. Told apart by rank and name, as the SD-family graphs use them.
 */
enum class WeightUse {
    VECTOR, MATRIX, TABLE, KERNEL;

    companion object {
        fun of(name: String, ggmlShape: List<Long>): WeightUse = when {
            ggmlShape.size == 1 -> VECTOR
            name.contains("embedding") -> TABLE
            ggmlShape.size == 4 -> KERNEL
            else -> MATRIX
        }
    }
}
