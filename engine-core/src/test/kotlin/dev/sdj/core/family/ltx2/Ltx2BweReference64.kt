package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import kotlin.math.ln
import kotlin.math.sqrt

/**
 * LTX-2.3's bandwidth extension in float64, written from ltx_core's VocoderWithBWE (MelSTFT, UpSample1d with the Hann
 * window) and sd.cpp's decode: signals [T, C] as Nd (time fastest), the component's weights in ggml order.
 */
object Ltx2BweReference64 {

    /** Causal log-mel of [wave] [T, C]: [mel bins, T / hop, C]. */
    fun logMel(wave: Nd, w: Weights64): Nd {
        val basis = w.get(Ltx2BweDimensions.STFT_BASIS)
        val mel = w.get(Ltx2BweDimensions.MEL_BASIS)
        val taps = basis.ne(0)
        val freqs = basis.ne(2) / 2
        val mels = mel.ne(1)
        val hop = Ltx2BweDimensions.HOP
        val (t, c) = wave.ne(0) to wave.ne(1)
        val frames = t / hop
        val out = Nd(mels, frames, c)
        val magnitude = DoubleArray(freqs)
        for (ch in 0 until c) for (f in 0 until frames) {
            for (k in 0 until freqs) {
                var re = 0.0
                var im = 0.0
                for (n in 0 until taps) {
                    val at = f * hop + n - (taps - hop)
                    if (at < 0) continue
                    val x = wave.d[at + t * ch]
                    re += x * basis.d[n + taps * k]
                    im += x * basis.d[n + taps * (k + freqs)]
                }
                magnitude[k] = sqrt(re * re + im * im)
            }
            for (m in 0 until mels) {
                var s = 0.0
                for (k in 0 until freqs) s += mel.d[k + freqs * m] * magnitude[k]
                out.d[m + mels * (f + frames * ch)] = ln(maxOf(s, 1e-5))
            }
        }
        return out
    }

    /** UpSample1d(ratio, "hann") of [wave] [T, C]: replicate-pad, ratio × transposed convolution with the filter, crop. */
    fun upsampled(wave: Nd, ratio: Int): Nd {
        val h = Ltx2HannResampler(ratio).filter
        val pad = Ltx2HannResampler.REACH
        val cropLeft = 2 * pad * ratio
        val (t, c) = wave.ne(0) to wave.ne(1)
        val out = Nd(ratio * t, c)
        for (ch in 0 until c) {
            val padded = DoubleArray(t + 2 * pad) { wave.d[(it - pad).coerceIn(0, t - 1) + t * ch] }
            val full = DoubleArray((padded.size - 1) * ratio + h.size)
            for (i in padded.indices) for (j in h.indices) full[i * ratio + j] += ratio * padded[i] * h[j]
            for (p in 0 until ratio * t) out.d[p + ratio * t * ch] = full[p + cropLeft]
        }
        return out
    }

    /** The whole chain: base vocoder, log-mel, BWE generator's residual + the ×3 copy, clamped. */
    fun extended(w: Weights64, base: Ltx2VocoderDimensions, bwe: Ltx2VocoderDimensions, mel: Nd): Nd {
        val wave = Ltx2VocoderReference64.vocoder(w.at(Ltx2Vocoding.GENERATOR), base, mel)
        val residual = Ltx2VocoderReference64.vocoder(w.at(Ltx2BweDimensions.GENERATOR), bwe, logMel(wave, w), clamp = false)
        val skip = upsampled(wave, Ltx2BweDimensions.RATIO)
        return Nd(residual.ne.copyOf(), DoubleArray(residual.d.size) { (residual.d[it] + skip.d[it]).coerceIn(-1.0, 1.0) })
    }
}
