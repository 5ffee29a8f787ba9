package dev.sdj.core.sampling

/** First-order Euler on the probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma, no churn. */
object Euler : Sampler {
    override val id: String = "euler"

    override fun sample(x0: FloatArray, sigmas: FloatArray, denoise: Denoiser, rng: NoiseRng,
                        onStep: (step: Int, total: Int) -> Boolean): FloatArray {
        val run = SamplingRun(x0, sigmas, denoise, onStep)
        val x = run.x
        for (i in 0 until run.steps) {
            val d = run.denoised(i)
            val sigma = sigmas[i]
            val dt = sigmas[i + 1] - sigma
            for (j in x.indices) x[j] += (x[j] - d[j]) / sigma * dt
            run.completed(i)
        }
        return x
    }
}
