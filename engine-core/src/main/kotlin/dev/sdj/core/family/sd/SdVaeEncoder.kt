package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor

/**
 * The KL-VAE encoder of LDM's autoencoder (names under "encoder.", then quant_conv when the model has one), for
 * image-to-image: SD's 4-channel encoder and Flux's 16-channel one, which has no quant_conv, are the same graph.
 */
object SdVaeEncoder {
    private const val EPS = 1e-6f

    /**
     * @param image [W, H, 3, N] in [-1, 1], W and H multiples of 8
     * @return the latent distribution's moments [W/8, H/8, 2·latentChannels, N]: the means, then the log-variances
     */
    fun build(nn: Nn, w: Weights, image: Tensor): Tensor {
        val e = w.at("encoder")
        var h = nn.conv2d(image, e.at("conv_in"))
        var level = 0
        while (e.has("down.$level.block.0.conv1.weight")) {
            h = downLevel(nn, e.at("down.$level"), h)
            level++
        }
        h = SdVaeDecoder.resBlock(nn, e.at("mid.block_1"), h)
        h = SdVaeDecoder.attnBlock(nn, e.at("mid.attn_1"), h)
        h = SdVaeDecoder.resBlock(nn, e.at("mid.block_2"), h)
        h = nn.ctx.silu(nn.groupNorm(h, e.at("norm_out"), eps = EPS))
        h = nn.conv2d(h, e.at("conv_out"))
        return if (w.has("quant_conv.weight")) nn.conv2d(h, w.at("quant_conv")) else h
    }

    /** One resolution level of the encoder: its residual blocks, then (all but the last level) a stride-2 convolution. */
    fun downLevel(nn: Nn, w: Weights, x: Tensor): Tensor {
        var h = x
        var j = 0
        while (w.has("block.$j.conv1.weight")) {
            h = SdVaeDecoder.resBlock(nn, w.at("block.$j"), h)
            j++
        }
        // LDM pads one zero row and column at the far edges, then convolves with stride 2 and no padding.
        return if (w.has("downsample.conv.weight")) {
            nn.conv2d(nn.ctx.pad(h, 0, 1, 0, 1, 0, 0, 0, 0), w.at("downsample.conv"), stride = 2, padding = 0)
        } else h
    }
}
