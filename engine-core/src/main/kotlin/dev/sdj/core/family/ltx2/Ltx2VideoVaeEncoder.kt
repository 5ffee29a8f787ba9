package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2's video VAE encoder (ltx_core's VideoEncoder as stable-diffusion.cpp's ltxvae.hpp builds it): video
 * [W, H, T, 3] in [-1, 1], T = 1 + 8k, → the normalised latent [W/32, H/32, 1 + k, 128], ggml order throughout,
 * activations [W, H, T, C]. Patchify (4×4 pixels of 3 colours → 48 channels, channel c·16 + r·4 + q for colour c at
 * column 4x + r, row 4y + q: the decoder's unpatchify inverted), conv_in, the down_blocks (PixelNorm residual blocks;
 * space-to-depth downsamplers), PixelNorm, SiLU, conv_out; then the first 128 of conv_out's 129 channels (the means:
 * the 129th is a log-variance that sampling would need and encoding for a condition does not) normalised with the
 * per-channel statistics, (x − mean) / std, the inverse of what the decoder un-normalises.
 *
 * Unlike the decoder, the encoder is causal: every 3×3×3 convolution sees the two frames before, the first frame
 * replicated twice at the start and nothing after, and pads space with zeros (ltx_core's encoder_spatial_padding_mode).
 * A temporal ×2 downsampler first prepends a copy of the first frame, so T = 1 + 2k frames become 1 + k: a single image
 * (T = 1) stays one frame through every level (1 → 2 → 1) and encodes to one latent frame, which is what
 * image-to-video writes into frame 0.
 *
 * The statistics live in the VAE component (`per_channel_statistics.*`), not in the encoder's: they are inputs of
 * the graph ([MEAN], [STD]) so that encoding loads the encoder alone.
 */
class Ltx2VideoVaeEncoder(val dimensions: Ltx2VaeEncoderDimensions) {

    /** The name the graph of [width]×[height]×[frames] input pixels is compiled and measured under. */
    fun key(width: Long, height: Long, frames: Int): GraphKey = GraphKey("ltx2 video encoder ${width}x${height}x$frames")

    /**
     * The graph of one encode: inputs [INPUT] [W, H, T, 3], [MEAN] and [STD] [128]; output the latent
     * [W/32, H/32, 1 + (T − 1)/8, 128].
     */
    fun graph(vae: Weights, width: Long, height: Long, frames: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        val scale = dimensions.spaceScale
        require(width > 0 && height > 0 && width % scale == 0L && height % scale == 0L) {
            "LTX-2's encoder takes a multiple of $scale pixels on each side, not ${width}x$height"
        }
        dimensions.latentFrames(frames)
        val x = g.input(INPUT, GgmlType.F32, width, height, frames.toLong(), Ltx2VideoVae.COLOURS.toLong())
        val c = Ltx2VideoVae.LATENT_CHANNELS
        encode(g.nn, vae, x, g.input(MEAN, GgmlType.F32, c), g.input(STD, GgmlType.F32, c))
    }

    internal fun encode(nn: Nn, vae: Weights, video: Tensor, mean: Tensor, std: Tensor): Tensor {
        val ctx = nn.ctx
        val e = vae.at("encoder")
        val patch = Ltx2VideoVae.PATCH
        var x = spaceToDepth(ctx, spaceToDepth(ctx, video, 0, patch), 1, patch)
        x = conv(ctx, e.at("conv_in"), x)
        for (level in dimensions.levels) {
            val w = e.at("down_blocks.${level.index}")
            x = when (level) {
                is Ltx2VaeEncoderLevel.Residual -> residualLevel(ctx, w, x, level)
                is Ltx2VaeEncoderLevel.Downsample -> downsample(ctx, w, x, level)
            }
        }
        x = conv(ctx, e.at("conv_out"), ctx.silu(pixelNorm(ctx, x, OUT_NORM_EPS)))
        val nb = x.strides()
        val means = ctx.view4d(x, x.ne(0), x.ne(1), x.ne(2), Ltx2VideoVae.LATENT_CHANNELS, nb[1], nb[2], nb[3], 0)
        return ctx.div(ctx.sub(ctx.cont(means), channels(ctx, mean)), channels(ctx, std))
    }

    private fun residualLevel(ctx: GgmlContext, w: Weights, input: Tensor, level: Ltx2VaeEncoderLevel.Residual): Tensor {
        var x = input
        for (j in 0 until level.blocks) {
            val b = w.at("res_blocks.$j")
            var h = conv(ctx, b.at("conv1"), ctx.silu(pixelNorm(ctx, x, Ltx2VideoVae.PIXEL_NORM_EPS)))
            h = conv(ctx, b.at("conv2"), ctx.silu(pixelNorm(ctx, h, Ltx2VideoVae.PIXEL_NORM_EPS)))
            x = ctx.add(h, x)
        }
        return x
    }

    /**
     * ltx_core's SpaceToDepthDownsample: the input (its first frame doubled when time halves) space-to-depth'd and
     * averaged in groups, plus the convolution's output space-to-depth'd. Space-to-depth folds time, then rows, then
     * columns, each factor innermost in the channels: "c (t p1) (h p2) (w p3) → (c p1 p2 p3) t h w".
     */
    private fun downsample(ctx: GgmlContext, w: Weights, input: Tensor, level: Ltx2VaeEncoderLevel.Downsample): Tensor {
        val x = if (level.time > 1) ctx.concat(frame(ctx, input, 0), input, 2) else input
        fun fold(t: Tensor): Tensor {
            var y = t
            if (level.time > 1) y = spaceToDepth(ctx, y, 2, level.time)
            if (level.space > 1) y = spaceToDepth(ctx, spaceToDepth(ctx, y, 1, level.space), 0, level.space)
            return y
        }
        val skip = groupMean(ctx, fold(x), level.group)
        return ctx.add(fold(conv(ctx, w.at("conv"), x)), skip)
    }

    /** x [W, H, T, C·g] → [W, H, T, C]: each channel the mean of channels c·g … c·g + g − 1 (einops "(c g)"). */
    private fun groupMean(ctx: GgmlContext, x: Tensor, group: Long): Tensor {
        if (group == 1L) return x
        val (w, h, t, cg) = x.shape().toList()
        val runs = ctx.reshape(x, w * h * t, group, cg / group)
        val nb = runs.strides()
        var sum: Tensor? = null
        for (j in 0 until group) {
            val part = ctx.view3d(runs, w * h * t, 1, cg / group, nb[1], nb[2], j * nb[1])
            sum = sum?.let { ctx.add(it, part) } ?: ctx.cont(part)
        }
        return ctx.reshape(ctx.scale(sum!!, 1f / group), w, h, t, cg / group)
    }

    /** A causal 3×3×3 convolution with its bias: two copies of the first frame before x, a zero border in space. */
    private fun conv(ctx: GgmlContext, w: Weights, x: Tensor): Tensor {
        val first = frame(ctx, x, 0)
        val padded = ctx.pad(ctx.concat(ctx.concat(first, first, 2), x, 2), 1, 1, 1, 1, 0, 0, 0, 0)
        val conv = w.at("conv")
        return ctx.add(ctx.conv3d(conv.get("weight"), padded), channels(ctx, conv.get("bias")))
    }

    private fun frame(ctx: GgmlContext, x: Tensor, t: Long): Tensor {
        val nb = x.strides()
        return ctx.view4d(x, x.ne(0), x.ne(1), 1, x.ne(3), nb[1], nb[2], nb[3], t * nb[2])
    }

    /** ltx_core's PixelNorm: each pixel's channels divided by their root mean square. */
    private fun pixelNorm(ctx: GgmlContext, x: Tensor, eps: Float): Tensor {
        val channelsFirst = ctx.cont(ctx.permute(x, 1, 2, 3, 0))
        return ctx.cont(ctx.permute(ctx.rmsNorm(channelsFirst, eps), 3, 0, 1, 2))
    }

    /** A per-channel vector [C] shaped to broadcast over [W, H, T, C]. */
    private fun channels(ctx: GgmlContext, v: Tensor): Tensor = ctx.reshape(v, 1, 1, 1, v.elementCount())

    /**
     * Space-to-depth along one axis of x [W, H, T, C]: position p·f + i of [axis] goes to channel c·f + i (the factor
     * innermost), the inverse of [Ltx2VideoVae]'s depth-to-space.
     */
    private fun spaceToDepth(ctx: GgmlContext, x: Tensor, axis: Int, factor: Int): Tensor {
        val (w, h, t, c) = x.shape().toList()
        val f = factor.toLong()
        return when (axis) {
            0 -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, f, w / f, h * t, c), 2, 0, 1, 3)), w / f, h, t, c * f)
            1 -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, w, f, h / f * t, c), 0, 2, 1, 3)), w, h / f, t, c * f)
            else -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, w * h, f, t / f, c), 0, 2, 1, 3)), w, h, t / f, c * f)
        }
    }

    companion object {
        /** sd.cpp's eps of the norm before conv_out (its residual blocks keep ltx_core's 1e-8). */
        const val OUT_NORM_EPS = 1e-6f

        /** The video input of [graph]: [W, H, T, 3], colour planes, values in [-1, 1]. */
        const val INPUT = "video"

        /** The VAE's `per_channel_statistics.mean-of-means` [128]. */
        const val MEAN = "latent_mean"

        /** The VAE's `per_channel_statistics.std-of-means` [128]. */
        const val STD = "latent_std"
    }
}
