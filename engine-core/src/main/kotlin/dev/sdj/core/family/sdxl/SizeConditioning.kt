package dev.sdj.core.family.sdxl

import kotlin.math.cos
import kotlin.math.exp
import kotlin.math.ln
import kotlin.math.sin

/**
 * SDXL's micro-conditioning on image geometry: the original size, the crop's top-left corner and the target size,
 * each number embedded as a timestep is, appended to the pooled text embedding to make the UNet's vector y.
 * stable-diffusion.cpp conditions text-to-image on the generated size as both original and target size and on no
 * crop, which [of] gives.
 */
data class SizeConditioning(
    val originalHeight: Int,
    val originalWidth: Int,
    val cropTop: Int,
    val cropLeft: Int,
    val targetHeight: Int,
    val targetWidth: Int,
) {
    /** The six numbers in the order y carries them (sgm's original_size_as_tuple, crop_coords_top_left, target_size_as_tuple; height before width, top before left). */
    fun values(): List<Int> = listOf(originalHeight, originalWidth, cropTop, cropLeft, targetHeight, targetWidth)

    /**
     * y for one prompt: [pooled] (the bigG encoder's projected EOS embedding, 1280 for SDXL) followed by the
     * [EMBEDDING]-wide embedding of each of [values] (2816 in all for SDXL).
     */
    fun vector(pooled: FloatArray): FloatArray {
        val out = pooled.copyOf(pooled.size + 6 * EMBEDDING)
        for ((i, v) in values().withIndex()) embed(v.toFloat()).copyInto(out, pooled.size + i * EMBEDDING)
        return out
    }

    companion object {
        /** Width of each number's embedding. */
        const val EMBEDDING = 256
        private const val MAX_PERIOD = 10000.0

        /** Text-to-image at [width] × [height]: that size as original and target, no crop. */
        fun of(width: Int, height: Int) = SizeConditioning(height, width, 0, 0, height, width)

        /**
         * LDM's timestep embedding of [value] at [dim] dimensions, cosines first (flip_sin_to_cos): element i < dim/2
         * is cos(value·fᵢ), element dim/2 + i is sin(value·fᵢ), with fᵢ = exp(−ln(10000)·i/(dim/2)). Rounded as
         * stable-diffusion.cpp rounds it: fᵢ to f32 from a double computation, the product in f32.
         */
        fun embed(value: Float, dim: Int = EMBEDDING): FloatArray {
            val half = dim / 2
            val out = FloatArray(dim)
            for (i in 0 until half) {
                val f = exp(-ln(MAX_PERIOD) * i / half).toFloat()
                val arg = (value * f).toDouble()
                out[i] = cos(arg).toFloat()
                out[half + i] = sin(arg).toFloat()
            }
            return out
        }
    }
}
