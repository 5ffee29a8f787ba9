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

    companion object {
        val ALL: List<Sampler> get() = listOf(Euler, EulerAncestral, DpmPlusPlus2M)

        /** The sampler called [name] (case-insensitive). */
        fun byName(name: String): Sampler =
            ALL.firstOrNull { it.id.equals(name.trim(), ignoreCase = true) }
                ?: throw IllegalArgumentException(
                    "unknown sampler '$name'; valid samplers: ${ALL.joinToString(", ") { it.id }}")
    }
}
