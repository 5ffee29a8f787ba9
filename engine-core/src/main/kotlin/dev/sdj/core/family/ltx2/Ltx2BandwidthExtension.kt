package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2.3's bandwidth extension as a graph ([Ltx2BweDimensions]): the 16 kHz waveform → its causal log-mel ([logMel]) →
 * the BWE generator's residual (the base vocoder's [Ltx2Vocoder.generate], unclamped) + the Hann-sinc ×3 copy
 * ([upsampled]), clamped: 48 kHz, 3 × the samples.
 *
 * The STFT runs as sd.cpp and ltx_core define it, a strided convolution with the stored basis: one im2col of the waveform
 * at the hop (zero-padded by fftTaps − hop, so frame f covers samples hop·f − (fftTaps − hop) … hop·f + hop − 1) and two
 * products with the basis's real and imaginary halves.
 */
class Ltx2BandwidthExtension(val dimensions: Ltx2BweDimensions) {
    val generator = Ltx2Vocoder(dimensions.generator)
    val resampler = Ltx2HannResampler(Ltx2BweDimensions.RATIO)

    /**
     * @param vocoder the component's weights (`bwe_generator.*`, `mel_stft.*`)
     * @param wave the base vocoder's output [T, channels], T a multiple of [Ltx2BweDimensions.HOP]
     * @param taps the anti-aliasing tap indices (the BWE generator's filters have the base's 12 taps: the same indices)
     * @param kernel the resampler's polyphase kernel, input [RESAMPLER] ([Ltx2HannResampler.polyphase])
     * @return the 48 kHz waveform [3T, channels]
     */
    fun extend(ctx: GgmlContext, vocoder: Weights, wave: Tensor, taps: Tensor, kernel: Tensor): Tensor {
        val residual = generator.generate(ctx, vocoder.at(Ltx2BweDimensions.GENERATOR), logMel(ctx, vocoder, wave), taps, clamped = false)
        return ctx.clamp(ctx.add(residual, upsampled(ctx, wave, kernel)), -1f, 1f)
    }

    /** log(max(mel_basis · |STFT(wave)|, 1e-5)): [mel bins, T / hop, channels], the layout [Ltx2Vocoder.generate] reads. */
    internal fun logMel(ctx: GgmlContext, vocoder: Weights, wave: Tensor): Tensor {
        val d = dimensions
        val (length, channels) = wave.ne(0) to wave.ne(1)
        val hop = Ltx2BweDimensions.HOP
        val frames = length / hop
        val taps = d.fftTaps.toLong()
        val basis = f32(ctx, vocoder.get(Ltx2BweDimensions.STFT_BASIS))                           // [taps, 1, 2F]
        // im2col pads both ends: the frames past T / hop that the right end adds are dropped below
        val cols = ctx.im2col1d(basis, ctx.reshape(wave, length, 1, channels), hop, (taps - hop).toInt(), 1, GgmlType.F32)
        val columns = cols.ne(1)
        val flat = ctx.reshape(cols, taps, columns * channels)
        val matrix = ctx.reshape(basis, taps, 2 * d.frequencies)
        val row = matrix.strides()[1]
        val real = ctx.mulMat(ctx.view2d(matrix, taps, d.frequencies, row, 0), flat)
        val imaginary = ctx.mulMat(ctx.view2d(matrix, taps, d.frequencies, row, d.frequencies * row), flat)
        val magnitude = ctx.sqrt(ctx.add(ctx.mul(real, real), ctx.mul(imaginary, imaginary)))        // [F, columns·C]
        val mel = ctx.mulMat(f32(ctx, vocoder.get(Ltx2BweDimensions.MEL_BASIS)), magnitude)        // [M, columns·C]
        val logMel = ctx.reshape(ctx.log(ctx.clamp(mel, MEL_FLOOR, Float.MAX_VALUE)), d.melBins, columns, channels)
        return ctx.cont(ctx.view3d(logMel, d.melBins, frames, channels, logMel.strides()[1], logMel.strides()[2], 0))
    }

    /** The ×3 copy of [wave] [T, C]: [3T, C], the phases interleaved by one product with the polyphase [kernel]. */
    internal fun upsampled(ctx: GgmlContext, wave: Tensor, kernel: Tensor): Tensor {
        val (length, channels) = wave.ne(0) to wave.ne(1)
        val window = Ltx2HannResampler.WINDOW.toLong()
        val padded = generator.replicate(ctx, wave, Ltx2HannResampler.REACH, Ltx2HannResampler.REACH)
        val shapeOnly = ctx.view2d(kernel, window, 1, kernel.strides()[1], 0)
        val cols = ctx.im2col1d(shapeOnly, ctx.reshape(padded, padded.ne(0), 1, channels), 1, 0, 1, GgmlType.F32)  // [window, T, C]
        val phases = ctx.mulMat(kernel, ctx.reshape(cols, window, length * channels))                             // [3, T·C]
        return ctx.reshape(phases, resampler.ratio * length, channels)
    }

    private fun f32(ctx: GgmlContext, t: Tensor): Tensor = if (t.type() == GgmlType.F32) t else ctx.cast(t, GgmlType.F32)

    companion object {
        /** The resampler's polyphase kernel input [Ltx2HannResampler.WINDOW, 3] of a graph with the extension. */
        const val RESAMPLER = "hann resampler"

        /** log(max(mel, 1e-5)), as ltx_core's MelSTFT. */
        private const val MEL_FLOOR = 1e-5f
    }
}
