package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor

/** The KL-VAE encoder of the SD family (LDM names under "encoder." plus quant_conv), for image-to-image. */
object SdVaeEncoder {
    private const val EPS = 1e-6f

    /**
     * @param image [W, H, 3, N] in [-1, 1], W and H multiples of 8
     * @return the latent distribution's mean [W/8, H/8, latentChannels, N], not yet multiplied by the scale factor
     */
    fun build(nn: Nn, w: Weights, image: Tensor): Tensor {
        val ctx = nn.ctx
        val e = w.at("encoder")
        var h = nn.conv2d(image, e.at("conv_in"))
        var level = 0
        while (e.has("down.$level.block.0.conv1.weight")) {
            val d = e.at("down.$level")
            var j = 0
            while (d.has("block.$j.conv1.weight")) {
                h = SdVaeDecoder.resBlock(nn, d.at("block.$j"), h)
                j++
            }
            // LDM pads one zero row and column at the far edges, then convolves with stride 2 and no padding.
            if (d.has("downsample.conv.weight")) h = nn.conv2d(ctx.pad(h, 0, 1, 0, 1, 0, 0, 0, 0), d.at("downsample.conv"), stride = 2, padding = 0)
            level++
        }
        h = SdVaeDecoder.resBlock(nn, e.at("mid.block_1"), h)
        h = SdVaeDecoder.attnBlock(nn, e.at("mid.attn_1"), h)
        h = SdVaeDecoder.resBlock(nn, e.at("mid.block_2"), h)
        h = ctx.silu(nn.groupNorm(h, e.at("norm_out"), eps = EPS))
        val moments = nn.conv2d(nn.conv2d(h, e.at("conv_out")), w.at("quant_conv"))          // [w, h, 2·latent, N]
        val latent = moments.ne(2) / 2
        val nb = moments.strides()
        return ctx.cont(ctx.view4d(moments, moments.ne(0), moments.ne(1), latent, moments.ne(3), nb[1], nb[2], nb[3], 0))
    }
}
