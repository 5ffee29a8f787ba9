package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor

/**
 * The KL-VAE decoder of LDM's autoencoder (names under "decoder.", and post_quant_conv when the model has one), its
 * structure — latent channels, levels, blocks — read from the weights: SD's 4-channel decoder and Flux's 16-channel
 * one, which has no post_quant_conv, are the same graph.
 */
object SdVaeDecoder {
    private const val EPS = 1e-6f

    /**
     * @param z latents [W, H, C, N] (C: 4 for SD, 16 for Flux) mapped as the family decodes them (SD: divided by its
     *   scale factor)
     * @return the image [8W, 8H, 3, N] in [-1, 1] (unclamped)
     */
    fun build(nn: Nn, w: Weights, z: Tensor): Tensor {
        val ctx = nn.ctx
        var h = if (w.has("post_quant_conv.weight")) nn.conv2d(z, w.at("post_quant_conv")) else z
        val d = w.at("decoder")
        h = nn.conv2d(h, d.at("conv_in"))
        h = resBlock(nn, d.at("mid.block_1"), h)
        h = attnBlock(nn, d.at("mid.attn_1"), h)
        h = resBlock(nn, d.at("mid.block_2"), h)
        var level = generateSequence(0) { it + 1 }.takeWhile { d.has("up.$it.block.0.conv1.weight") }.last()
        while (level >= 0) {
            h = upLevel(nn, d.at("up.$level"), h)
            level--
        }
        h = ctx.silu(nn.groupNorm(h, d.at("norm_out"), eps = EPS))
        return nn.conv2d(h, d.at("conv_out"))
    }

    /** One resolution level of the decoder: its residual blocks, then a ×2 nearest upsample and convolution. */
    fun upLevel(nn: Nn, w: Weights, x: Tensor): Tensor {
        var h = x
        var j = 0
        while (w.has("block.$j.conv1.weight")) {
            h = resBlock(nn, w.at("block.$j"), h)
            j++
        }
        return if (w.has("upsample.conv.weight")) nn.conv2d(nn.ctx.upscaleNearest(h, 2), w.at("upsample.conv")) else h
    }

    fun resBlock(nn: Nn, w: Weights, x: Tensor): Tensor {
        val ctx = nn.ctx
        var h = nn.conv2d(ctx.silu(nn.groupNorm(x, w.at("norm1"), eps = EPS)), w.at("conv1"))
        h = nn.conv2d(ctx.silu(nn.groupNorm(h, w.at("norm2"), eps = EPS)), w.at("conv2"))
        val skip = if (w.has("nin_shortcut.weight")) nn.conv2d(x, w.at("nin_shortcut")) else x
        return ctx.add(skip, h)
    }

    /** Single-head self-attention over all pixels, with 1×1-convolution projections. */
    fun attnBlock(nn: Nn, w: Weights, x: Tensor): Tensor {
        val h = nn.groupNorm(x, w.at("norm"), eps = EPS)
        val q = nn.imageToTokens(nn.conv2d(h, w.at("q")))
        val k = nn.imageToTokens(nn.conv2d(h, w.at("k")))
        val v = nn.imageToTokens(nn.conv2d(h, w.at("v")))
        val a = nn.tokensToImage(nn.attention(q, k, v, 1), x.ne(0), x.ne(1))
        return nn.ctx.add(x, nn.conv2d(a, w.at("proj_out")))
    }
}
