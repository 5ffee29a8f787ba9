package dev.sdj.core.family.sd

/**
 * Inpainting's arithmetic on latents, as stable-diffusion.cpp does it. Masks are 0 (keep) or 1 (repaint) per value,
 * images and latents planar in ggml order ([W, H, C]: x + W·y + W·H·c).
 */
object Inpainting {
    /** The VAE's downscale: one latent value per 8×8 pixels. */
    private const val SCALE = 8

    /**
     * The pixel [mask] ([width]×[height]) at latent size: each latent value the largest of its 8×8 pixels (sd.cpp's
     * "nearest max"), so a latent value is repainted when any of its pixels is.
     */
    fun latentMask(mask: FloatArray, width: Int, height: Int): FloatArray {
        val w = width / SCALE
        val h = height / SCALE
        return FloatArray(w * h) { i ->
            val x0 = (i % w) * SCALE
            val y0 = (i / w) * SCALE
            var max = Float.NEGATIVE_INFINITY
            for (y in y0 until y0 + SCALE) for (x in x0 until x0 + SCALE) max = maxOf(max, mask[x + width * y])
            max
        }
    }

    /**
     * [mask] ([w]×[h]) grown by one value on every side: a 3×3 maximum. sd.cpp blends an inpainting model's steps with
     * this wider mask, so the model repaints a seam around the region besides it.
     */
    fun dilated(mask: FloatArray, w: Int, h: Int): FloatArray = FloatArray(w * h) { i ->
        val x0 = i % w
        val y0 = i / w
        var max = Float.NEGATIVE_INFINITY
        for (y in maxOf(0, y0 - 1)..minOf(h - 1, y0 + 1)) for (x in maxOf(0, x0 - 1)..minOf(w - 1, x0 + 1)) max = maxOf(max, mask[x + w * y])
        max
    }

    /**
     * The image an inpainting model sees of what is kept: [image] ([-1, 1], three planes) where [mask] keeps it and 0
     * (mid grey) where it repaints — sd.cpp's (1 − m)·(pixel − ½) + ½ in [0, 1].
     */
    fun maskedImage(image: FloatArray, mask: FloatArray): FloatArray {
        val plane = mask.size
        require(image.size == 3 * plane) { "image of ${image.size} values for a mask of $plane" }
        return FloatArray(image.size) { if (mask[it % plane] == 0f) image[it] else 0f }
    }

    /**
     * A denoised latent kept to [init] outside [mask] (one value per position, the same for every channel):
     * init + m·(denoised − init), in place. With m 0 or 1 the kept positions are [init]'s values exactly.
     */
    fun blend(denoised: FloatArray, init: FloatArray, mask: FloatArray): FloatArray {
        val plane = mask.size
        require(denoised.size == init.size && denoised.size % plane == 0) {
            "latents of ${denoised.size} and ${init.size} values for a mask of $plane"
        }
        for (i in denoised.indices) denoised[i] = init[i] + mask[i % plane] * (denoised[i] - init[i])
        return denoised
    }

    /** [a]'s channels, then [b]'s: ggml_concat along the channel dimension of two planar latents. */
    fun concat(a: FloatArray, b: FloatArray): FloatArray = a + b
}

/**
 * What an inpainting checkpoint's UNet reads after the 4 latent channels: the latent mask (1 channel) and the masked
 * image's latent (4), for the prompt; for the negative prompt the same mask with a zero latent (sd.cpp's unconditional
 * input).
 */
class InpaintingInput(val conditional: FloatArray, val unconditional: FloatArray) {
    companion object {
        const val CHANNELS = 5

        fun of(latentMask: FloatArray, maskedLatent: FloatArray) =
            InpaintingInput(Inpainting.concat(latentMask, maskedLatent), Inpainting.concat(latentMask, FloatArray(maskedLatent.size)))

        /** Nothing kept, nothing seen: the whole latent repainted over a zero latent, as sd.cpp runs one without an init image. */
        fun everything(latentValues: Int): InpaintingInput {
            val input = Inpainting.concat(FloatArray(latentValues) { 1f }, FloatArray(4 * latentValues))
            return InpaintingInput(input, input)
        }
    }
}

/**
 * Where image-to-image denoising starts: the init image's [latent]; with a mask, the latent mask each step's denoised
 * latent is blended with ([denoiseMask]), and for an inpainting checkpoint its extra UNet input ([unetInput]).
 */
class InitLatent(val latent: FloatArray, val denoiseMask: FloatArray? = null, val unetInput: InpaintingInput? = null)
