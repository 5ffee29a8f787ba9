package dev.sdj.core.family.flux

import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.family.sd.SdVaeEncoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * Flux.1's autoencoder (ae.safetensors): LDM's KL decoder and encoder with 16 latent channels and no
 * post_quant_conv/quant_conv, so the SD family's graphs run it unchanged. stable-diffusion.cpp runs it without SDXL's
 * convolution input scaling, with 1×1-convolution attention as ae.safetensors stores it, maps the sampler's latent
 * through [decoderInput] before decoding, and an encoded image's sample through [samplerLatent].
 */
object FluxVae {
    const val LATENT_CHANNELS = 16

    /** Flux's latent scale factor (sd.cpp's and diffusers' scaling_factor for this VAE). */
    const val SCALE_FACTOR = 0.3611f

    /** Flux's latent shift (diffusers' shift_factor): the VAE's latents are centred on it, the sampler's on 0. */
    const val SHIFT_FACTOR = 0.1159f

    /** Pixels per latent cell on each axis. */
    const val DOWNSCALE = 8

    /** The decoder's input from the sampler's latent: latent / [SCALE_FACTOR] + [SHIFT_FACTOR], value by value. */
    fun decoderInput(latent: FloatArray): FloatArray = FloatArray(latent.size) { latent[it] / SCALE_FACTOR + SHIFT_FACTOR }

    /** The sampler's latent from a draw of the encoder's distribution: (sample − [SHIFT_FACTOR])·[SCALE_FACTOR], [decoderInput]'s inverse. */
    fun samplerLatent(sample: FloatArray): FloatArray = FloatArray(sample.size) { (sample[it] - SHIFT_FACTOR) * SCALE_FACTOR }

    /**
     * @param z the decoder's input [W, H, 16, N], from [decoderInput]
     * @return the image [8W, 8H, 3, N] in [-1, 1] (unclamped)
     */
    fun build(nn: Nn, w: Weights, z: Tensor): Tensor {
        require(z.ne(2) == LATENT_CHANNELS.toLong()) { "a Flux latent has $LATENT_CHANNELS channels, not ${z.ne(2)}" }
        return SdVaeDecoder.build(nn, w, z)
    }

    /** The decoder's graph over one latent tile of [width]×[height] cells, reading its input "z" as [build] takes it. */
    fun decoderGraph(vae: Weights, width: Long, height: Long): (CompiledGraph.Builder) -> Tensor = { g ->
        build(g.nn, vae, g.input(INPUT, GgmlType.F32, width, height, LATENT_CHANNELS.toLong(), 1))
    }

    /** The name of [decoderGraph]'s input. */
    const val INPUT = "z"

    /**
     * @param image [W, H, 3, N] in [-1, 1], W and H multiples of 8
     * @return the latent distribution's moments [W/8, H/8, 32, N]: 16 means, then 16 log-variances
     */
    fun encode(nn: Nn, w: Weights, image: Tensor): Tensor = SdVaeEncoder.build(nn, w, image).also { moments ->
        require(moments.ne(2) == 2L * LATENT_CHANNELS) { "a Flux encoder gives ${2 * LATENT_CHANNELS} moment channels, not ${moments.ne(2)}" }
    }

    /** The encoder's graph over one image tile of [width]×[height] pixels, reading its input "image" as [encode] takes it. */
    fun encoderGraph(vae: Weights, width: Long, height: Long): (CompiledGraph.Builder) -> Tensor = { g ->
        encode(g.nn, vae, g.input(IMAGE, GgmlType.F32, width, height, 3, 1))
    }

    /** The name of [encoderGraph]'s input. */
    const val IMAGE = ImageEncoding.IMAGE
}
