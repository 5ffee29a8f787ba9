package dev.sdj.core.sampling

/**
 * The model as a sampler sees it (k-diffusion's view): given the noisy latent [x] at noise level
 * [sigma], return the predicted clean latent, same size. Classifier-free guidance, the model's
 * input scaling and its eps or v parameterisation are the implementer's business ([Prediction]).
 *
 * [x] is lent for the call only: read it, do not keep or modify it. The result must be a fresh
 * array, since samplers keep earlier predictions (DPM++ 2M) while asking for new ones.
 */
fun interface Denoiser {
    fun denoise(x: FloatArray, sigma: Float): FloatArray
}

/**
 * Converting a network's raw output to the denoised latent, with k-diffusion's scalings for
 * sigma_data = 1: for the SD family's eps and v the network sees `x * inputScale(sigma)`; for flow matching, x itself.
 */
object Prediction {
    /** c_in = 1 / sqrt(sigma² + 1): brings x = data + sigma·noise back to unit variance. */
    fun inputScale(sigma: Float): Float = (1.0 / Math.sqrt(sigma.toDouble() * sigma + 1)).toFloat()

    /** eps-prediction: c_skip = 1, c_out = -sigma, so denoised = x - sigma·eps. */
    fun epsToDenoised(x: FloatArray, eps: FloatArray, sigma: Float): FloatArray {
        requireSameSize(x, eps)
        return FloatArray(x.size) { x[it] - sigma * eps[it] }
    }

    /** v-prediction: c_skip = 1 / (sigma² + 1), c_out = -sigma / sqrt(sigma² + 1). */
    fun vToDenoised(x: FloatArray, v: FloatArray, sigma: Float): FloatArray {
        requireSameSize(x, v)
        val s2 = sigma.toDouble() * sigma + 1
        val cSkip = (1 / s2).toFloat()
        val cOut = (-sigma / Math.sqrt(s2)).toFloat()
        return FloatArray(x.size) { cSkip * x[it] + cOut * v[it] }
    }

    /**
     * Flow matching (Flux): the network predicts the velocity v = noise − data of x = (1 − σ)·data + σ·noise and sees x
     * unscaled (c_in = 1), so denoised = x − σ·v (c_skip = 1, c_out = −σ, as sd.cpp's flow denoisers).
     */
    fun flowToDenoised(x: FloatArray, v: FloatArray, sigma: Float): FloatArray {
        requireSameSize(x, v)
        return FloatArray(x.size) { x[it] - sigma * v[it] }
    }

    private fun requireSameSize(x: FloatArray, y: FloatArray) =
        require(x.size == y.size) { "model output has ${y.size} values for a latent of ${x.size}" }
}
