package dev.sdj.core.family

import kotlin.math.exp

/**
 * The diagonal Gaussian a KL-VAE encoder outputs (LDM's DiagonalGaussianDistribution), as stable-diffusion.cpp samples
 * it for image-to-image.
 */
object LatentDistribution {
    /**
     * A draw mean + σ·n from [moments] (the means' planes, then as many of log-variances) with σ =
     * exp(½·clamp(log-variance, −30, 20)) and [noise] one normal value per latent value.
     */
    fun sample(moments: FloatArray, noise: FloatArray): FloatArray {
        val n = moments.size / 2
        require(moments.size == 2 * n && noise.size == n) { "${noise.size} noise values for ${moments.size} moments" }
        return FloatArray(n) { i -> moments[i] + exp(0.5 * moments[n + i].coerceIn(-30f, 20f)).toFloat() * noise[i] }
    }
}
