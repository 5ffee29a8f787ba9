package dev.sdj.core.sampling

import kotlin.math.min
import kotlin.math.sqrt

/**
 * Euler ancestral with eta 1: each step goes deterministically down to sigma_down, then adds fresh
 * noise of size sigma_up so the marginal noise level is the next sigma (k-diffusion's
 * get_ancestral_step). Noise is drawn from the rng once per step except the last to sigma 0,
 * as stable-diffusion.cpp does, so a seed replays the same image.
 */
object EulerAncestral : Sampler {
    override val id: String = "euler_a"

    override fun forFlow(): Sampler = EulerAncestralFlow

    override fun sample(x0: FloatArray, sigmas: FloatArray, denoise: Denoiser, rng: NoiseRng,
                        onStep: (step: Int, total: Int) -> Boolean): FloatArray {
        val run = SamplingRun(x0, sigmas, denoise, onStep)
        val x = run.x
        for (i in 0 until run.steps) {
            val d = run.denoised(i)
            val from = sigmas[i]
            val to = sigmas[i + 1]
            val up = min(to, sqrt(to * to * (from * from - to * to) / (from * from)))
            val down = sqrt(to * to - up * up)
            val dt = down - from
            for (j in x.indices) x[j] += (x[j] - d[j]) / from * dt
            if (to > 0f) {
                val noise = rng.randn(x.size)
                for (j in x.indices) x[j] += noise[j] * up
            }
            run.completed(i)
        }
        return x
    }
}
