package dev.sdj.core.family.sd

import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind

/**
 * Whether a model's UNet is an inpainting checkpoint's: its first convolution reads 9 channels (the latent, the mask,
 * the masked image's latent) instead of 4 — recognised from the weights, as stable-diffusion.cpp recognises it.
 */
object SdInpaintingUnet {
    const val IN_CHANNELS = 9

    fun of(model: AssembledModel): Boolean {
        val convIn = model.components[ComponentKind.DIFFUSION_MODEL]?.tensors?.get("input_blocks.0.0.weight") ?: return false
        // ggml order [kernel w, kernel h, in, out]
        return convIn.shape.size == 4 && convIn.shape[2] == IN_CHANNELS.toLong()
    }
}
