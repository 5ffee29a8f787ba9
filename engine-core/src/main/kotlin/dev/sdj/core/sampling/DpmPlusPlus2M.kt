package dev.sdj.core.sampling

import kotlin.math.ln

/**
 * DPM-Solver++(2M) (Lu et al. 2022) as in k-diffusion: exponential integration in
 * lambda = -log sigma on the denoised prediction, made second order by extrapolating linearly
 * from the previous step's prediction. The first step has no history and the last step (to
 * sigma 0) lands on the prediction itself; both take the first-order update.
 */
object DpmPlusPlus2M : Sampler {
    override val id: String = "dpm++2m"

    override fun sample(x0: FloatArray, sigmas: FloatArray, denoise: Denoiser, rng: NoiseRng,
                        onStep: (step: Int, total: Int) -> Boolean): FloatArray {
        val run = SamplingRun(x0, sigmas, denoise, onStep)
        val x = run.x
        var previous: FloatArray? = null
        for (i in 0 until run.steps) {
            val d = run.denoised(i)
            val sigma = sigmas[i]
            val next = sigmas[i + 1]
            val last = previous
            if (next == 0f) {
                // The limit of the update as sigma_next -> 0 (h -> inf): x becomes the prediction.
                d.copyInto(x)
            } else {
                val h = lambda(next) - lambda(sigma)
                val ratio = next / sigma
                val weight = (-Math.expm1(-h.toDouble())).toFloat()
                if (last == null) {
                    for (j in x.indices) x[j] = ratio * x[j] + weight * d[j]
                } else {
                    val r = (lambda(sigma) - lambda(sigmas[i - 1])) / h
                    val cNew = 1 + 1 / (2 * r)
                    val cOld = 1 / (2 * r)
                    for (j in x.indices) x[j] = ratio * x[j] + weight * (cNew * d[j] - cOld * last[j])
                }
            }
            previous = d
            run.completed(i)
        }
        return x
    }

    /** The solver's time variable, lambda = -log sigma (half the log signal-to-noise ratio). */
    private fun lambda(sigma: Float): Float = -ln(sigma)
}
