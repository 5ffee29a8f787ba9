package dev.sdj.core.sampling

import kotlin.math.exp

/**
 * The rectified-flow noise schedule of Flux.1, as stable-diffusion.cpp's FluxFlowDenoiser defines it, so that a seed
 * gives sd.cpp's image. A noisy latent is x = (1 − σ)·data + σ·noise with σ in (0, 1]; training timestep t in
 * 0..999 has σ(t) = e^shift / (e^shift + 1/u − 1) with u = (t + 1)/1000, the logistic time shift of Flux's reference
 * code with a fixed mu (sd.cpp does not make it depend on the image size as Black Forest Labs' sampler does).
 *
 * σ(999) is exactly 1, so a text-to-image run starts from pure noise whatever the shift. Arithmetic is in float, in
 * sd.cpp's order, so the levels match its own to the bit.
 *
 * @param shift the logistic shift mu: [FLUX_DEV_SHIFT] for guidance-distilled models, [FLUX_SCHNELL_SHIFT] otherwise
 */
class FlowSchedule(val shift: Float) {
    init {
        require(shift.isFinite() && shift > 0f) { "flow shift must be a positive number: $shift" }
    }

    private val expShift = exp(shift)

    /** The smallest noise level, σ(0) = e^shift / (e^shift + 999). */
    val sigmaMin: Float get() = tToSigma(0f)

    /** The largest noise level, σ(999) = 1. */
    val sigmaMax: Float get() = tToSigma((TIMESTEPS - 1).toFloat())

    /** σ at a (fractional) training timestep [t]. */
    fun tToSigma(t: Float): Float {
        require(t > -1f && t <= TIMESTEPS - 1) { "timestep $t is outside 0..${TIMESTEPS - 1}" }
        val u = (t + 1f) / TIMESTEPS
        return expShift / (expShift + (1f / u - 1f))
    }

    /**
     * The timestep value the Flux DiT is given for noise level [sigma]: σ itself (sd.cpp's FluxFlowDenoiser maps
     * σ to t as the identity; the DiT's own time embedding multiplies by 1000).
     */
    fun modelTimestep(sigma: Float): Float = sigma

    /**
     * The noise levels of a [steps]-step run from σ(999) = 1 down, with a final 0 (so `steps + 1` values).
     * DISCRETE, sd.cpp's default for Flux: timesteps evenly spaced from 999 to 0. KARRAS: Karras' spacing between
     * [sigmaMin] and [sigmaMax]. One step goes from 1 straight to 0.
     */
    fun sigmas(steps: Int, kind: ScheduleKind): FloatArray =
        // No clamp at 0 as the discrete table needs: a t a hair below 0 (steps = 22) is still a valid u > 0.
        ScheduleSpacing.sigmas(steps, kind, TIMESTEPS, sigmaMin, sigmaMax, ::tToSigma)

    companion object {
        private const val TIMESTEPS = 1000

        /** sd.cpp's shift for a Flux model with a guidance embedding (FLUX.1-dev and other guidance-distilled ones). */
        const val FLUX_DEV_SHIFT = 1.15f

        /** sd.cpp's shift for a Flux model without one (FLUX.1-schnell). */
        const val FLUX_SCHNELL_SHIFT = 1.0f

        /**
         * sd.cpp's default for a Flux model: 1.15 when its diffusion model has guidance_in (dev), else 1.0
         * (schnell). A shift the user gives replaces it.
         */
        fun flux(hasGuidanceEmbedding: Boolean): FlowSchedule =
            FlowSchedule(if (hasGuidanceEmbedding) FLUX_DEV_SHIFT else FLUX_SCHNELL_SHIFT)

        /**
         * The starting latent of a run at noise level [sigma]: (1 − σ)·[latent] + σ·[noise] (sd.cpp's flow
         * noise_scaling). For text-to-image σ is 1 and the result is the noise itself; sd.cpp's constant fill of the
         * empty latent (0.1159 for Flux) drops out.
         */
        fun noised(latent: FloatArray, noise: FloatArray, sigma: Float): FloatArray {
            require(latent.size == noise.size) { "noise has ${noise.size} values for a latent of ${latent.size}" }
            require(sigma in 0f..1f) { "a flow noise level lies in 0..1: $sigma" }
            return FloatArray(latent.size) { latent[it] * (1f - sigma) + noise[it] * sigma }
        }
    }
}
