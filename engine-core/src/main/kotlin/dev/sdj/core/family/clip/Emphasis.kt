package dev.sdj.core.family.clip

/**
 * A1111's prompt emphasis on encoded text, as stable-diffusion.cpp applies it: each token's hidden state is scaled by
 * its weight, then the whole chunk by (mean before) / (mean after), so emphasis shifts attention between tokens
 * without changing the chunk's overall level.
 */
object Emphasis {
    /**
     * Applies [weights] (one per token) to [hidden] ([width × tokens], token-major) in place and returns it; all-one
     * weights leave it untouched.
     */
    fun apply(hidden: FloatArray, weights: List<Float>): FloatArray {
        if (weights.all { it == 1f }) return hidden
        require(hidden.size % weights.size == 0) { "${hidden.size} values are not ${weights.size} tokens" }
        val width = hidden.size / weights.size
        val before = hidden.average()
        for (t in weights.indices) {
            val w = weights[t]
            for (i in 0 until width) hidden[t * width + i] *= w
        }
        val after = hidden.average()
        if (after != 0.0) {
            val k = (before / after).toFloat()
            for (i in hidden.indices) hidden[i] *= k
        }
        return hidden
    }
}
