package dev.sdj.core.family.ltx2

import kotlin.math.PI
import kotlin.math.ceil
import kotlin.math.cos
import kotlin.math.sin

/**
 * The bandwidth extension's ×[ratio] copy of the 16 kHz waveform (ltx_core's UpSample1d with window_type "hann",
 * torchaudio's sinc_interp_hann with rolloff 0.99 and 6 zero crossings): a filter of 2·7·ratio + 1 taps computed, not
 * stored; the signal replicate-padded by 7 samples on both sides, a transposed convolution at stride ratio scaled by
 * ratio, cropped to ratio·T.
 *
 * Output ratio·t + j is then a correlation of x[t − 7 … t + 7] with taps j, j + ratio, … of the filter, reversed:
 * [polyphase] holds that kernel, [WINDOW] × ratio, the ratio folded in, so the graph makes all phases at once,
 * interleaved, with one im2col and one product.
 */
class Ltx2HannResampler(val ratio: Int) {
    /** The filter: sinc(t)·cos²(t·π/12)·rolloff/ratio at t = (i/ratio − 7)·rolloff, t clamped to ±6 in the window. */
    val filter: DoubleArray = DoubleArray(2 * REACH * ratio + 1) { i ->
        val t = (i.toDouble() / ratio - REACH) * ROLLOFF
        val window = cos(t.coerceIn(-ZERO_CROSSINGS.toDouble(), ZERO_CROSSINGS.toDouble()) * PI / ZERO_CROSSINGS / 2)
        val sinc = if (t == 0.0) 1.0 else sin(PI * t) / (PI * t)
        sinc * window * window * ROLLOFF / ratio
    }

    /** Kernel [WINDOW, ratio] (window position fastest): at phase j, position v, ratio · filter[ratio·(2·REACH − v) + j]. */
    val polyphase: FloatArray = FloatArray(WINDOW * ratio) { at ->
        val (j, v) = at / WINDOW to at % WINDOW
        val tap = ratio * (2 * REACH - v) + j
        if (tap < filter.size) (ratio * filter[tap]).toFloat() else 0f
    }

    companion object {
        private const val ROLLOFF = 0.99
        private const val ZERO_CROSSINGS = 6

        /** Input samples on either side of t that outputs ratio·t … ratio·t + ratio − 1 read: ceil(6 / 0.99) = 7. */
        val REACH = ceil(ZERO_CROSSINGS / ROLLOFF).toInt()

        /** Input samples each output reads: t − 7 … t + 7. */
        val WINDOW = 2 * REACH + 1
    }
}
