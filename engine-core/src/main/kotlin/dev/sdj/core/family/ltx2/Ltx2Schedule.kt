package dev.sdj.core.family.ltx2

import kotlin.math.exp

/**
 * LTX-2's `ltx2` noise schedule, as stable-diffusion.cpp's LTX2Scheduler computes it (after Lightricks' LTX2Scheduler):
 * evenly spaced t from 1 to 0 mapped by σ = e^shift / (e^shift + 1/t − 1), the shift growing linearly with the video's
 * token count from 0.95 at 1024 tokens to 2.05 at 4096 (more tokens spend more steps at high noise); then stretched,
 * σ ↦ 1 − (1 − σ)/k, so that the last non-zero level is [TERMINAL] while the first stays 1. The audio shares the
 * video's levels and does not enter the token count.
 *
 * Arithmetic is in float in sd.cpp's order, so the levels are its own to the bit (bar `exp`'s last ulp).
 *
 * @param tokens the video latent's cell count ([Ltx2VideoShape.videoTokens])
 */
class Ltx2Schedule(val tokens: Int) {
    init {
        require(tokens > 0) { "the ltx2 schedule needs a positive token count, got $tokens" }
    }

    /** The shift mu for [tokens], before exponentiation. */
    val shift: Float = tokens.toFloat() * SLOPE + (BASE_SHIFT - SLOPE * BASE_ANCHOR)

    private val expShift = exp(shift)

    /**
     * The [steps] + 1 noise levels from 1 down to a final 0. One step goes from 1 straight to 0: there is no second
     * non-zero level to stretch.
     */
    fun sigmas(steps: Int): FloatArray {
        require(steps >= 1) { "the ltx2 schedule needs at least one step, got $steps" }
        val sigmas = FloatArray(steps + 1) { i ->
            val t = 1f - i.toFloat() / steps.toFloat()
            if (t != 0f) expShift / (expShift + (1f / t - 1f)) else 0f
        }
        if (steps >= 2) {
            val scale = (1f - sigmas[steps - 1]) / (1f - TERMINAL)
            if (scale > 1e-8f) {
                for (i in 0 until steps) sigmas[i] = 1f - (1f - sigmas[i]) / scale
            }
        }
        sigmas[steps] = 0f
        return sigmas
    }

    /**
     * The timestep the LTX-2 DiT is given at noise level [sigma], for the video and the audio alike: σ itself (sd.cpp
     * runs LTX-2 under its Flux flow denoiser, whose σ → t is the identity); the DiT multiplies it by 1000 (its
     * timestep_scale_multiplier) before the AdaLN timestep embedding.
     */
    fun modelTimestep(sigma: Float): Float = sigma

    companion object {
        /** The last non-zero noise level after the stretch. */
        const val TERMINAL = 0.1f
        private const val BASE_SHIFT = 0.95f
        private const val MAX_SHIFT = 2.05f
        private const val BASE_ANCHOR = 1024f
        private const val MAX_ANCHOR = 4096f
        // Computed at run time in float, as sd.cpp computes it, rather than folded by the compiler.
        private val SLOPE: Float = (MAX_SHIFT - BASE_SHIFT) / (MAX_ANCHOR - BASE_ANCHOR)
    }
}
