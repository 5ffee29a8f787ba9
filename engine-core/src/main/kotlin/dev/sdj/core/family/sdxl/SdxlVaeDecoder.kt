package dev.sdj.core.family.sdxl

import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.family.sd.SdVaeEncoder
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor

/**
 * SDXL's VAE decoder: the SD KL-f8 decoder with SDXL's own weights and latent scale. Its activations grow past f16's
 * range (the reason for the community "fp16-fix" VAE), so, as stable-diffusion.cpp does for it, every convolution
 * takes its input scaled by 1/32 and scales its product back ([Nn.withConvInputScale]).
 */
object SdxlVaeDecoder {
    /** stable-diffusion.cpp's factor for SDXL's VAE (its `set_conv2d_scale(1/32)`): room for activations up to 2²¹. */
    const val CONV_INPUT_SCALE = 1f / 32

    /** SDXL's latent scale factor (SD 1.x/2.x: 0.18215): the sampler's latents are divided by it before decoding. */
    const val LATENT_SCALE = 0.13025f

    /**
     * @param z latents [W, H, 4, N], already divided by [LATENT_SCALE]
     * @return the image [8W, 8H, 3, N] in [-1, 1] (unclamped)
     */
    fun build(nn: Nn, w: Weights, z: Tensor): Tensor = SdVaeDecoder.build(nn.withConvInputScale(CONV_INPUT_SCALE), w, z)

    /** SDXL's VAE encoder, its convolutions scaled the same way (stable-diffusion.cpp scales the whole autoencoder's). */
    fun encode(nn: Nn, w: Weights, image: Tensor): Tensor = SdVaeEncoder.build(nn.withConvInputScale(CONV_INPUT_SCALE), w, image)
}
