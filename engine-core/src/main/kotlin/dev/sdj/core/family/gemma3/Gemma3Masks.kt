package dev.sdj.core.family.gemma3

/**
 * The additive attention masks, f32 [keys, queries] (key index fastest), as stable-diffusion.cpp builds them for
 * LTX-2: a key that is padding and a key after the query each add [MASKED], a large finite value rather than −∞,
 * and the local layers' mask sets −∞ on keys [window] or more tokens before the query. A padding query therefore
 * never has a row of −∞ only: its softmax ties on the least-masked keys and averages them, finite, where −∞ rows
 * would give NaN and, through 0·NaN in the next product, spread to every token. The prompt's own tokens never see a
 * padding key, so what padding rows compute reaches nothing but the padding's own hidden states.
 */
object Gemma3Masks {
    /** sd.cpp's `std::numeric_limits<float>::lowest() / 4`: twice it still fits in f32. */
    const val MASKED = -Float.MAX_VALUE / 4

    /** The mask of global layers: causal plus padding. */
    fun global(tokens: Int, padding: Int): FloatArray = build(tokens, padding, window = 0)

    /** The mask of local layers: [global]'s, and −∞ where the key is [window] or more tokens before the query. */
    fun local(tokens: Int, padding: Int, window: Int): FloatArray {
        require(window > 0) { "a sliding window holds at least the query itself, got $window" }
        return build(tokens, padding, window)
    }

    private fun build(tokens: Int, padding: Int, window: Int): FloatArray {
        require(padding in 0 until tokens) { "$padding padding tokens leave none of $tokens for the prompt" }
        val m = FloatArray(tokens * tokens)
        for (q in 0 until tokens) for (k in 0 until tokens) {
            var v = 0f
            if (k < padding) v += MASKED
            if (k > q) v += MASKED
            if (window > 0 && q - k >= window) v = Float.NEGATIVE_INFINITY
            m[k + tokens * q] = v
        }
        return m
    }
}
