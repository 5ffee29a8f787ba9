package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2's video VAE decoder (ltx_core's VideoDecoder as stable-diffusion.cpp's ltxvae.hpp builds it): latent
 * [W, H, F', 128] → video [32·W, 32·H, 8·(F' − 1) + 1, 3] in about [-1, 1], ggml order throughout, activations
 * [W, H, T, C]. The latent is un-normalised with the per-channel statistics (x·std + mean); then conv_in, the
 * up_blocks (PixelNorm residual blocks; depth-to-space upsamplers, which drop the first frame a temporal ×2 makes),
 * PixelNorm, SiLU, conv_out and unpatchify (48 channels → 4×4 pixels of 3 colours).
 *
 * Every convolution is 3×3×3, padded in time by one replicated frame on each side (the decoder is not causal) and in
 * space by reflection (the decoder's spatial_padding_mode), and runs as one ggml im2col_3d + mul_mat. A sum over the
 * kernel's three frames of 2-D convolutions (frames as the batch) needs a third of the im2col columns but permutes
 * each convolution's input and output: on a decoder of 256 → 128 channels (12×12×4 latent, CPU) it took 0.58× the
 * compute buffer (23.1 against 39.8 MiB) and 3.4× the time (2.0 s against 0.6 s), and temporal tiles bound the buffer
 * at a smaller cost.
 * When the weights carry timestep conditioning, the decode timestep ([DECODE_TIMESTEP], sd.cpp's) scaled by
 * timestep_scale_multiplier modulates the norms (×(1 + scale) + shift) of the conditioned levels and the last one.
 * The upsamplers have no residual path (sd.cpp builds LTX-2's with residual = false).
 */
class Ltx2VideoVae(val dimensions: Ltx2VaeDimensions) {

    /**
     * The graph of one tile: input [INPUT] [W, H, F, 128] (and [TIMESTEP] [1] when conditioned, and the context
     * inputs of a later temporal tile); output the frames [32·W, 32·H, T, 3] flattened, then the contexts when the
     * tile carries them ([Ltx2VaeTime.output]). [onBuilt] gets the saved contexts' sizes.
     */
    fun tileGraph(vae: Weights, tile: Ltx2VaeTileShape, onBuilt: (List<Long>) -> Unit = {}): (CompiledGraph.Builder) -> Tensor = { g ->
        val z = g.input(INPUT, GgmlType.F32, tile.width, tile.height, tile.frames.toLong(), LATENT_CHANNELS)
        val t = if (dimensions.conditioned) g.input(TIMESTEP, GgmlType.F32, 1) else null
        val time = Ltx2VaeTime(g, tile)
        val out = time.output(g.nn.ctx, decode(g.nn, vae, z, t, time))
        onBuilt(time.contextSizes)
        out
    }

    internal fun decode(nn: Nn, vae: Weights, z: Tensor, timestep: Tensor?, time: Ltx2VaeTime): Tensor {
        val ctx = nn.ctx
        require(z.ne(3) == LATENT_CHANNELS) { "an LTX-2 latent has $LATENT_CHANNELS channels, not ${z.ne(3)}" }
        val d = vae.at("decoder")
        val stats = vae.at("per_channel_statistics")
        var x = ctx.add(ctx.mul(z, channels(ctx, stats.get(STD))), channels(ctx, stats.get(MEAN)))
        val scaled = timestep?.let { ctx.mul(it, d.get("timestep_scale_multiplier")) }
        x = conv(ctx, d.at("conv_in"), x, time)
        for (level in dimensions.levels) {
            val w = d.at("up_blocks.${level.index}")
            x = when (level) {
                is Ltx2VaeLevel.Residual -> residualLevel(nn, w, x, level, scaled, time)
                is Ltx2VaeLevel.Upsample -> upsample(ctx, w, x, level, time)
            }
        }
        x = pixelNorm(ctx, x)
        if (scaled != null) {
            val embedded = timeEmbedding(nn, d.at("last_time_embedder"), scaled)
            x = modulate(ctx, x, ctx.add(ctx.reshape(embedded, x.ne(3), 2), f32(ctx, d.get("last_scale_shift_table"))), 0)
        }
        x = conv(ctx, d.at("conv_out"), ctx.silu(x), time)
        return unpatchify(ctx, x)
    }

    private fun residualLevel(nn: Nn, w: Weights, input: Tensor, level: Ltx2VaeLevel.Residual, timestep: Tensor?, time: Ltx2VaeTime): Tensor {
        val ctx = nn.ctx
        val embedded = if (level.conditioned) timeEmbedding(nn, w.at("time_embedder"), timestep!!) else null
        var x = input
        for (j in 0 until level.blocks) {
            val b = w.at("res_blocks.$j")
            val table = embedded?.let { ctx.add(ctx.reshape(it, level.channels, 4), f32(ctx, b.get("scale_shift_table"))) }
            var h = pixelNorm(ctx, x)
            if (table != null) h = modulate(ctx, h, table, 0)
            h = conv(ctx, b.at("conv1"), ctx.silu(h), time)
            h = pixelNorm(ctx, h)
            if (table != null) h = modulate(ctx, h, table, 2)
            h = conv(ctx, b.at("conv2"), ctx.silu(h), time)
            x = ctx.add(h, x)
        }
        return x
    }

    private fun upsample(ctx: GgmlContext, w: Weights, x: Tensor, level: Ltx2VaeLevel.Upsample, time: Ltx2VaeTime): Tensor {
        var y = conv(ctx, w.at("conv"), x, time)
        if (level.space > 1) y = depthToSpace(ctx, depthToSpace(ctx, y, 0, level.space), 1, level.space)
        if (level.time > 1) {
            y = depthToSpace(ctx, y, 2, level.time)
            if (time.dropsFirst) {
                val nb = y.strides()
                y = ctx.cont(ctx.view4d(y, y.ne(0), y.ne(1), y.ne(2) - 1, y.ne(3), nb[1], nb[2], nb[3], nb[2]))
            }
            time.upsampled(level.time)
        }
        return y
    }

    /** A 3×3×3 convolution with its bias, x padded as [Ltx2VaeTime] and [reflect] say. */
    private fun conv(ctx: GgmlContext, w: Weights, x: Tensor, time: Ltx2VaeTime): Tensor {
        val conv = w.at("conv")
        val y = ctx.conv3d(conv.get("weight"), reflect(ctx, time.pad(ctx, x)))
        return ctx.add(y, channels(ctx, conv.get("bias")))
    }

    /** x [W, H, T, C] with a one-pixel reflected border: column 1 before column 0, column W − 2 after W − 1; rows alike. */
    private fun reflect(ctx: GgmlContext, x: Tensor): Tensor {
        var y = x
        for (axis in 0..1) {
            val n = y.ne(axis)
            val nb = y.strides()
            val ne = y.shape().also { it[axis] = 1 }
            fun line(i: Long) = ctx.view4d(y, ne[0], ne[1], ne[2], ne[3], nb[1], nb[2], nb[3], i * nb[axis])
            y = ctx.concat(ctx.concat(line(1), y, axis), line(n - 2), axis)
        }
        return y
    }

    /** ltx_core's PixelNorm: each pixel's channels divided by their root mean square. */
    private fun pixelNorm(ctx: GgmlContext, x: Tensor): Tensor {
        val channelsFirst = ctx.cont(ctx.permute(x, 1, 2, 3, 0))
        return ctx.cont(ctx.permute(ctx.rmsNorm(channelsFirst, PIXEL_NORM_EPS), 3, 0, 1, 2))
    }

    /** x·(1 + scale) + shift with shift, scale rows [row], [row] + 1 of [table] [C, n]. */
    private fun modulate(ctx: GgmlContext, x: Tensor, table: Tensor, row: Int): Tensor {
        fun part(r: Int) = channels(ctx, ctx.cont(ctx.view3d(table, table.ne(0), 1, 1, table.strides()[1], table.strides()[2], r * table.strides()[1])))
        return ctx.add(ctx.add(x, ctx.mul(x, part(row + 1))), part(row))
    }

    /** PixArt-α's timestep embedder: a 256-wide sinusoid (cos first) through linear_1, SiLU, linear_2. */
    private fun timeEmbedding(nn: Nn, w: Weights, timestep: Tensor): Tensor {
        val e = w.at("timestep_embedder")
        val proj = nn.ctx.timestepEmbedding(timestep, TIME_PROJECTION, 10_000)
        return nn.linear(nn.ctx.silu(nn.linear(proj, e.at("linear_1"))), e.at("linear_2"))
    }

    /** A modulation table as f32: the loader keeps a bf16 checkpoint's 2-D tables in bf16, which additions do not take. */
    private fun f32(ctx: GgmlContext, t: Tensor): Tensor = if (t.type() == GgmlType.F32) t else ctx.cast(t, GgmlType.F32)

    /** A per-channel vector [C] shaped to broadcast over [W, H, T, C]. */
    private fun channels(ctx: GgmlContext, v: Tensor): Tensor = ctx.reshape(v, 1, 1, 1, v.elementCount())

    /**
     * Depth-to-space along one axis of x [W, H, T, C·f], the factor innermost in the channels: channel c·f + i goes to
     * position p·f + i of [axis]. The upsamplers' rearrange "(c p1 p2 p3) t h w → c (t p1) (h p2) (w p3)" is this
     * along W, then H, then T.
     */
    private fun depthToSpace(ctx: GgmlContext, x: Tensor, axis: Int, factor: Int): Tensor {
        val (w, h, t, c) = x.shape().toList()
        val f = factor.toLong()
        val out = c / f
        return when (axis) {
            0 -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, w, h * t, f, out), 1, 2, 0, 3)), w * f, h, t, out)
            1 -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, w, h * t, f, out), 0, 2, 1, 3)), w, h * f, t, out)
            else -> ctx.reshape(ctx.cont(ctx.permute(ctx.reshape(x, w * h, t, f, out), 0, 2, 1, 3)), w, h, t * f, out)
        }
    }

    /**
     * conv_out's 48 channels → [4W, 4H, T, 3]: channel c·16 + r·4 + q is colour c at column 4x + r, row 4y + q
     * (ltx_core's unpatchify "(c p r q)": the row offset innermost).
     */
    private fun unpatchify(ctx: GgmlContext, x: Tensor): Tensor =
        depthToSpace(ctx, depthToSpace(ctx, x, 1, PATCH), 0, PATCH)

    companion object {
        const val LATENT_CHANNELS = 128L
        const val COLOURS = 3
        const val PATCH = 4
        const val MEAN = "mean-of-means"
        const val STD = "std-of-means"
        const val PIXEL_NORM_EPS = 1e-8f
        const val TIME_PROJECTION = 256

        /** The timestep sd.cpp decodes at (ltx_core's decode_timestep), before timestep_scale_multiplier. */
        const val DECODE_TIMESTEP = 0.05f

        /** The latent input of [tileGraph]. */
        const val INPUT = "z"

        /** The decode timestep input of a conditioned decoder. */
        const val TIMESTEP = "timestep"
    }
}
