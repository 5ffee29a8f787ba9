package dev.sdj.core.family.sd

/** Where image-to-image enters a schedule, counted as stable-diffusion.cpp counts it so that both run the same steps. */
object ImageToImage {
    /**
     * The tail of [sigmas] (a schedule of `steps` steps, `steps + 1` values ending at 0) that a strength in [0, 1]
     * keeps: t = ⌊steps · strength⌋ in f32 arithmetic, at most steps − 1, then the last t + 1 steps. Strength 1 keeps
     * the whole schedule; 0 still runs one step, from the smallest non-zero sigma.
     */
    fun sigmas(sigmas: FloatArray, strength: Double): FloatArray {
        val steps = sigmas.size - 1
        val t = minOf((steps * strength.toFloat()).toInt(), steps - 1)
        return sigmas.copyOfRange(steps - t - 1, sigmas.size)
    }

    /**
     * Where sampling starts: [noise] at [sigma] added to the init image's [latent] (x = latent + σ·n, as
     * stable-diffusion.cpp's eps/v denoisers scale noise), or the noise alone for text-to-image.
     */
    fun start(noise: FloatArray, sigma: Float, latent: FloatArray?): FloatArray =
        if (latent == null) FloatArray(noise.size) { noise[it] * sigma } else FloatArray(noise.size) { latent[it] + noise[it] * sigma }
}
