package dev.sdj.core.sampling

/**
 * A k-diffusion style sampler: integrates from the noisy latent [x0] at `sigmas[0]` down the
 * strictly decreasing noise levels [sigmas] (as from [DiscreteSchedule.sigmas], usually ending in 0),
 * calling [denoise] once per step, and returns the final latent as a new array. [x0] is not
 * modified; for text-to-image it is unit noise scaled by `sigmas[0]`.
 *
 * After each step [onStep] gets (steps done, total steps); returning false stops sampling with
 * [CancelledException] (even after the last step) instead of returning, so a cancelled run never
 * makes another model call. [rng] supplies fresh noise to samplers that need it.
 */
sealed interface Sampler {
    /** The name the sampler is chosen by, as stable-diffusion.cpp spells it. */
    val id: String

    fun sample(
        x0: FloatArray,
        sigmas: FloatArray,
        denoise: Denoiser,
        rng: NoiseRng,
        onStep: (step: Int, total: Int) -> Boolean,
    ): FloatArray

    /**
     * The sampler to run under this name for a flow-matching model (Flux), as stable-diffusion.cpp chooses: the same
     * one where its update only needs the ODE dx/dσ = (x − D)/σ, which flow latents also obey; a flow variant where
     * the step re-noises ([EulerAncestral] becomes [EulerAncestralFlow]).
     */
    fun forFlow(): Sampler = this

    companion object {
        /** The samplers chosen by name; flow variants are reached through [forFlow]. */
        val ALL: List<Sampler> get() = listOf(Euler, EulerAncestral, DpmPlusPlus2M)

        /** The sampler called [name] (case-insensitive). */
        fun byName(name: String): Sampler =
            ALL.firstOrNull { it.id.equals(name.trim(), ignoreCase = true) }
                ?: throw IllegalArgumentException(
                    "unknown sampler '$name'; valid samplers: ${ALL.joinToString(", ") { it.id }}")
    }
}
