package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2.3's vocoder (BigVGAN v2 as stable-diffusion.cpp's ltx_audio_vae builds it): log-mel → waveform in [-1, 1].
 *
 * Input [INPUT]: the audio VAE decoder's log-mel, ggml order [mel bins, T frames, audio channels] (64 × T × 2; C order
 * [channel][frame][bin]). The two channels' bins are stacked into conv_pre's 128 inputs (channel·64 + bin), as
 * ltx_core's "b s c t → b (s c) t". Output: [hop·T, audio channels] (time fastest; C order [channel][sample]).
 *
 * Activations are [T, C] (time fastest), the layout of ggml's 1-D convolutions. conv_pre; per level a transposed
 * convolution cut to exactly rate·T, then the mean of its AMP blocks (each three residual units: anti-aliased SnakeBeta,
 * dilated convolution, anti-aliased SnakeBeta, convolution); act_post, conv_post, clamp to [-1, 1].
 *
 * The anti-aliased activation (BigVGAN's Activation1d) upsamples ×2 with its `upsample.filter` (replicated ends, a
 * transposed convolution ×2, cropped), applies SnakeBeta, and low-passes with `downsample.lowpass.filter` at stride 2
 * (replicated ends). The upsampler runs polyphase: output 2t + j is a 7-tap correlation of x around t with every
 * other filter tap, reversed ([upsampleTaps] picks them with one get_rows), so one im2col over the input's length and
 * one product make both phases already interleaved, instead of a zero-stuffed signal twice as long.
 *
 * SnakeBeta is x + sin²(x·e^α)·e^(−β): sd.cpp divides by e^β + 1e-9, which differs from e^β in f32 only for β < −4
 * (by under one unit in the last place there).
 */
class Ltx2Vocoder(val dimensions: Ltx2VocoderDimensions) {

    /** Window of the polyphase upsampler: input samples t − 3 … t + 3. */
    private val window = 2 * UP_REACH + 1

    /**
     * The indices get_rows takes from an upsample filter with a zero appended (index [Ltx2VocoderDimensions.filterTaps])
     * to make the polyphase kernel [window, 2]: at phase j, window position u, the tap that multiplies x[t − 3 + u] in
     * output 2t + j of PyTorch's replicate-padded, cropped transposed convolution (the zero where none does).
     */
    val upsampleTaps: IntArray = run {
        val k = dimensions.filterTaps
        val r = Ltx2VocoderDimensions.ANTI_ALIAS_RATIO
        val pad = k / r - 1
        val cropLeft = pad * r + (k - r) / 2
        IntArray(window * r) { at ->
            val j = at / window
            val u = at % window
            // output m = r·t + j comes from padded input i = t + pad + (u − UP_REACH) with tap m + cropLeft − r·i
            val tap = j + cropLeft - r * (pad + u - UP_REACH)
            if (tap in 0 until k) tap else k
        }
    }

    /** The graph of [frames] mel frames: input [INPUT], i32 input [TAPS] ([upsampleTaps]); output [hop·frames, channels]. */
    fun graph(vocoder: Weights, frames: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        val d = dimensions
        val mel = g.input(INPUT, GgmlType.F32, d.melBins, frames.toLong(), d.audioChannels)
        val taps = g.input(TAPS, GgmlType.I32, upsampleTaps.size.toLong())
        generate(g.nn.ctx, vocoder, mel, taps)
    }

    /**
     * The waveform [hop·T, channels] of the log-mel [mel] [bins, T, channels] by the generator [w]; [clamped] to [-1, 1]
     * as the base vocoder's output (the bandwidth extension's generator is not: its residual is clamped after the sum).
     */
    internal fun generate(ctx: GgmlContext, w: Weights, mel: Tensor, taps: Tensor, clamped: Boolean = true): Tensor {
        val d = dimensions
        val frames = mel.ne(1)
        var x = ctx.reshape(ctx.cont(ctx.permute(mel, 1, 0, 2, 3)), frames, d.inputChannels)
        x = conv(ctx, w.at("conv_pre"), x, 1)
        val perLevel = d.blockKernels.size
        for (level in d.levels) {
            x = upsample(ctx, w.at("ups.${level.index}"), x, level)
            var sum: Tensor? = null
            for (j in 0 until perLevel) {
                val y = ampBlock(ctx, w.at("resblocks.${level.index * perLevel + j}"), x, taps)
                sum = sum?.let { ctx.add(it, y) } ?: y
            }
            x = ctx.scale(sum!!, 1f / perLevel)
        }
        x = antiAliased(ctx, w.at("act_post"), x, taps)
        x = conv(ctx, w.at("conv_post"), x, 1)
        return if (clamped) ctx.clamp(x, -1f, 1f) else x
    }

    /** Three residual units: x + conv2(act2(conv1(act1(x)))), conv1 dilated. */
    internal fun ampBlock(ctx: GgmlContext, w: Weights, input: Tensor, taps: Tensor): Tensor {
        var x = input
        for ((i, dilation) in dimensions.dilations.withIndex()) {
            var h = antiAliased(ctx, w.at("acts1.$i"), x, taps)
            h = conv(ctx, w.at("convs1.$i"), h, dilation)
            h = antiAliased(ctx, w.at("acts2.$i"), h, taps)
            h = conv(ctx, w.at("convs2.$i"), h, 1)
            x = ctx.add(x, h)
        }
        return x
    }

    /** A convolution that keeps the length (zero-padded by dilation·(K − 1)/2 at both ends), with its bias if any. */
    internal fun conv(ctx: GgmlContext, w: Weights, x: Tensor, dilation: Int): Tensor {
        val k = w.get("weight")
        val y = ctx.conv1d(k, x, dilation * (k.ne(0).toInt() - 1) / 2, dilation)
        return if (w.has("bias")) ctx.add(y, row(ctx, w.get("bias"))) else y
    }

    /** ConvTranspose1d(stride = rate, padding = (K − rate)/2): T → rate·T. */
    internal fun upsample(ctx: GgmlContext, w: Weights, x: Tensor, level: Ltx2VocoderLevel): Tensor {
        // ggml-vulkan's conv_transpose_1d takes an f32 kernel only: the loader keeps these f32 (Ltx2Weights), the cast
        // is for weights handed over otherwise
        val y = ctx.convTranspose1d(f32(ctx, w.get("weight")), x, level.rate)
        val length = x.ne(0) * level.rate
        val cut = ctx.cont(ctx.view2d(y, length, y.ne(1), y.strides()[1], level.padding * y.strides()[0]))
        return ctx.add(cut, row(ctx, w.get("bias")))
    }

    /** BigVGAN's Activation1d: ×2 through the upsample filter, SnakeBeta, low-pass and ×½ through the downsample filter. */
    internal fun antiAliased(ctx: GgmlContext, w: Weights, x: Tensor, taps: Tensor): Tensor {
        val (length, channels) = x.ne(0) to x.ne(1)
        val r = Ltx2VocoderDimensions.ANTI_ALIAS_RATIO.toLong()

        val up = f32(ctx, w.get("upsample.filter"))
        val k = up.ne(0)
        val zero = ctx.scale(ctx.view1d(up, 1, 0), 0f)
        val picked = ctx.getRows(ctx.concat(ctx.reshape(up, 1, k), ctx.reshape(zero, 1, 1), 1), taps)     // [1, window·r]
        val polyphase = ctx.scale(ctx.reshape(picked, window.toLong(), r), r.toFloat())                // [window, r]
        val padded = replicate(ctx, x, UP_REACH, UP_REACH)
        val shapeOnly = ctx.view2d(polyphase, window.toLong(), 1, polyphase.strides()[1], 0)
        val cols = ctx.im2col1d(shapeOnly, ctx.reshape(padded, padded.ne(0), 1, channels), 1, 0, 1, GgmlType.F32) // [window, T, C]
        val doubled = ctx.reshape(ctx.mulMat(polyphase, ctx.reshape(cols, window.toLong(), length * channels)), r * length, channels)

        val snaked = snakeBeta(ctx, w.at("act"), doubled)

        val low = f32(ctx, w.get("downsample.lowpass.filter"))
        val lowTaps = low.ne(0).toInt()
        val even = if (lowTaps % 2 == 0) 1 else 0
        val lowPadded = replicate(ctx, snaked, lowTaps / 2 - even, lowTaps / 2)
        val lowKernel = ctx.reshape(low, lowTaps.toLong(), 1)
        val lowCols = ctx.im2col1d(lowKernel, ctx.reshape(lowPadded, lowPadded.ne(0), 1, channels), r.toInt(), 0, 1, GgmlType.F32) // [K, T, C]
        return ctx.reshape(ctx.mulMat(lowKernel, ctx.reshape(lowCols, lowTaps.toLong(), lowCols.ne(1) * channels)), lowCols.ne(1), channels)
    }

    /** x + sin²(x·e^α)·e^(−β), α and β per channel. */
    private fun snakeBeta(ctx: GgmlContext, w: Weights, x: Tensor): Tensor {
        val alpha = row(ctx, ctx.exp(w.get("alpha")))
        val inverseBeta = row(ctx, ctx.exp(ctx.scale(w.get("beta"), -1f)))
        val s = ctx.sin(ctx.mul(x, alpha))
        return ctx.add(x, ctx.mul(ctx.mul(s, s), inverseBeta))
    }

    /** x [T, C] with its first sample repeated [left] times before it and its last [right] times after it. */
    internal fun replicate(ctx: GgmlContext, x: Tensor, left: Int, right: Int): Tensor {
        val nb = x.strides()
        fun repeated(at: Long, times: Int): Tensor {
            val one = ctx.view2d(x, 1, x.ne(1), nb[1], at * nb[0])
            var out = one
            repeat(times - 1) { out = ctx.concat(out, one, 0) }
            return out
        }
        var y = x
        if (left > 0) y = ctx.concat(repeated(0, left), y, 0)
        if (right > 0) y = ctx.concat(y, repeated(x.ne(0) - 1, right), 0)
        return y
    }

    /** A per-channel vector [C] shaped to broadcast over [T, C]. */
    private fun row(ctx: GgmlContext, v: Tensor): Tensor = ctx.reshape(v, 1, v.elementCount())

    /** A weight the loader may keep in f16 or bf16, as f32 for the ops that take only f32. */
    private fun f32(ctx: GgmlContext, t: Tensor): Tensor = if (t.type() == GgmlType.F32) t else ctx.cast(t, GgmlType.F32)

    companion object {
        /** The log-mel input of [graph]. */
        const val INPUT = "mel"

        /** The polyphase tap indices input of [graph] ([upsampleTaps]). */
        const val TAPS = "anti-alias taps"

        /** Input samples on either side of t that the polyphase ×2 upsampler of 12-tap filters reads. */
        private const val UP_REACH = 3
    }
}
