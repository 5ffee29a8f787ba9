package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2's audio VAE decoder (sd.cpp's ltx_audio_vae AudioDecoder, Lightricks' audio_vae Decoder): latent [bins, L,
 * channels] → log-mel [melBins, 4L − 3, audioChannels], ggml order throughout (bins fastest, a plane per channel),
 * activations [bins, time, C] as a ggml image [W, H, C]: the mel bins are the width, time the height.
 *
 * The latent is un-normalised per (channel, bin) with the statistics (x·std + mean, value c·bins + f); then conv_in,
 * the mid residual blocks, the up levels (residual blocks; a nearest ×2 upsampler whose convolution's first output row
 * is dropped, so time goes L → 2L − 1), PixelNorm, SiLU and conv_out. Every convolution is causal in time: zero
 * padding of kernel − 1 rows before the first row and none after, and kernel / 2 zero columns either side of the bins.
 * PixelNorm divides each position's channels by their root mean square (eps [PIXEL_NORM_EPS]). sd.cpp decodes the
 * whole latent in one graph, as this does: its compute buffer grows linearly with L.
 */
class Ltx2AudioVae(val dimensions: Ltx2AudioVaeDimensions) {

    /** The graph of a latent of [length] frames: input [INPUT] [bins, length, channels]; output the mel, flattened. */
    fun graph(vae: Weights, length: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        require(length >= 1) { "an audio latent has at least one frame, not $length" }
        val d = dimensions
        decode(g.nn.ctx, vae, g.input(INPUT, GgmlType.F32, d.latentBins, length.toLong(), d.latentChannels))
    }

    internal fun decode(ctx: GgmlContext, vae: Weights, z: Tensor): Tensor {
        val d = vae.at("decoder")
        fun stat(name: String) = ctx.reshape(f32(ctx, vae.get(name)), dimensions.latentBins, 1, dimensions.latentChannels)
        var x = ctx.add(ctx.mul(z, stat(Ltx2AudioVaeDimensions.STD)), stat(Ltx2AudioVaeDimensions.MEAN))
        x = conv(ctx, d.at("conv_in"), x)
        for (j in 1..dimensions.midBlocks) x = residual(ctx, d.at("mid.block_$j"), x)
        for (level in dimensions.levels) {
            for (j in 0 until level.blocks) x = residual(ctx, d.at("up.${level.index}.block.$j"), x)
            if (level.upsamples) x = upsample(ctx, d.at("up.${level.index}.upsample"), x)
        }
        return conv(ctx, d.at("conv_out"), ctx.silu(pixelNorm(ctx, x)))
    }

    private fun residual(ctx: GgmlContext, w: Weights, x: Tensor): Tensor {
        var h = conv(ctx, w.at("conv1"), ctx.silu(pixelNorm(ctx, x)))
        h = conv(ctx, w.at("conv2"), ctx.silu(pixelNorm(ctx, h)))
        val skip = if (w.has("nin_shortcut.conv.weight")) conv(ctx, w.at("nin_shortcut"), x) else x
        return ctx.add(skip, h)
    }

    /** Nearest ×2 in bins and time, the convolution, then its first row dropped: 2T − 1 rows. */
    private fun upsample(ctx: GgmlContext, w: Weights, x: Tensor): Tensor {
        val y = conv(ctx, w.at("conv"), ctx.upscaleNearest(x, 2))
        val nb = y.strides()
        return ctx.cont(ctx.view4d(y, y.ne(0), y.ne(1) - 1, y.ne(2), y.ne(3), nb[1], nb[2], nb[3], nb[1]))
    }

    /** A convolution causal in time (sd.cpp's HeightCausalConv2D) with its bias. */
    private fun conv(ctx: GgmlContext, w: Weights, x: Tensor): Tensor {
        val conv = w.at("conv")
        val kernel = conv.get("weight")
        val padW = (kernel.ne(0) - 1).toInt()
        val padH = (kernel.ne(1) - 1).toInt()
        val padded = if (padW == 0 && padH == 0) x else ctx.pad(x, padW / 2, padW - padW / 2, padH, 0, 0, 0, 0, 0)
        val bias = conv.get("bias")
        return ctx.add(ctx.conv2d(kernel, padded, 1, 0), ctx.reshape(f32(ctx, bias), 1, 1, bias.elementCount()))
    }

    /** Each position's channels divided by their root mean square. */
    private fun pixelNorm(ctx: GgmlContext, x: Tensor): Tensor {
        val channelsFirst = ctx.cont(ctx.permute(x, 1, 2, 0, 3))
        return ctx.cont(ctx.permute(ctx.rmsNorm(channelsFirst, PIXEL_NORM_EPS), 2, 0, 1, 3))
    }

    private fun f32(ctx: GgmlContext, t: Tensor): Tensor = if (t.type() == GgmlType.F32) t else ctx.cast(t, GgmlType.F32)

    companion object {
        const val PIXEL_NORM_EPS = 1e-6f

        /** The latent input of [graph]. */
        const val INPUT = "audio_latent"
    }
}
