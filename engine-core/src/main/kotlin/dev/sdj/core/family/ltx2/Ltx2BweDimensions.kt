package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights
import dev.sdj.core.model.Component
import kotlin.math.ceil

/**
 * The sizes of LTX-2.3's bandwidth extension (16 kHz → 48 kHz), present when the vocoder holds `bwe_generator.*`: a causal
 * STFT of the 16 kHz waveform ([STFT_BASIS]: [fftTaps] taps every [HOP] samples, zero-padded by fftTaps − HOP on the
 * left), magnitudes folded to [melBins] mel bins by [MEL_BASIS] and log(max(·, 1e-5)); a second BigVGAN generator
 * ([generator], rates [RATES], no final clamp) from that log-mel to a 48 kHz residual, added to a Hann-windowed-sinc ×[RATIO]
 * copy of the 16 kHz waveform and clamped to [-1, 1] (ltx_core's VocoderWithBWE, sd.cpp's LTXAudioVAERunner::decode).
 * The rates, hop and ratio are sd.cpp's constants; the sizes are read from the weights.
 *
 * @param frequencies the STFT's frequency bins (n_fft/2 + 1: 257)
 */
data class Ltx2BweDimensions(val generator: Ltx2VocoderDimensions, val fftTaps: Int, val frequencies: Long, val melBins: Long) {

    /**
     * Base mel frames on either side of a frame that its 48 kHz samples depend on, through the whole chain: an output
     * sample reads the BWE log-mel within [generator]'s reach (in [HOP]-sample frames) of its own, each of which reads
     * the 16 kHz samples from fftTaps − HOP before it to its end; the ×3 copy reads less ([RESAMPLER_REACH] samples).
     * Those 16 kHz samples read the base mel within [base]'s reach: the sum, rounded up, plus a frame for the rounding
     * of a sample's position to its frame. LTX-2.3's: 45 + ⌈(80·28 + 512) / 160⌉ + 1 = 64 frames (28: the
     * BWE generator's reach in its own frames). A bound, not the exact field: the tiny chain of the tests already
     * decodes exactly with less.
     */
    fun reach(base: Ltx2VocoderDimensions): Int {
        val samples = maxOf(HOP * generator.reach + fftTaps, RESAMPLER_REACH)
        return base.reach + ceil(samples.toDouble() / base.hop).toInt() + 1
    }

    companion object {
        /** The generator's name under the vocoder component (the checkpoint's `vocoder.bwe_generator.*`). */
        const val GENERATOR = "bwe_generator"

        /** The STFT as a convolution: [fftTaps, 1, 2·frequencies] in ggml order, real parts then imaginary. */
        const val STFT_BASIS = "mel_stft.stft_fn.forward_basis"

        /** The mel filterbank: [frequencies, mel bins] in ggml order. */
        const val MEL_BASIS = "mel_stft.mel_basis"

        /** sd.cpp's upsampling rates of the BWE generator: ×240 from 80-sample frames, 48 kHz. */
        val RATES = listOf(6, 5, 2, 2, 2)

        /** 16 kHz samples per BWE mel frame. */
        const val HOP = 80

        /** Output over input sample rate (48 kHz / 16 kHz). */
        const val RATIO = 3

        /** 48 kHz. */
        const val SAMPLE_RATE = Ltx2Vocoding.SAMPLE_RATE * RATIO

        /** 16 kHz samples on either side the Hann-sinc ×3 copy reads ([Ltx2HannResampler.REACH]) plus one. */
        private val RESAMPLER_REACH = Ltx2HannResampler.REACH + 1

        /** Whether the vocoder [w] (the component's weights) has a bandwidth extension. */
        fun present(w: Weights): Boolean = w.has("$GENERATOR.conv_pre.weight")

        /** The extension of the vocoder [w] (the component's weights), null without `bwe_generator.*`. */
        fun of(w: Weights, base: Ltx2VocoderDimensions): Ltx2BweDimensions? =
            if (present(w)) of(base) { n -> if (w.has(n)) w.get(n).shape().toList() else null } else null

        /** The extension of the VOCODER [component] (before anything loads), null without `bwe_generator.*`. */
        fun of(component: Component, base: Ltx2VocoderDimensions): Ltx2BweDimensions? =
            if ("$GENERATOR.conv_pre.weight" in component.tensors) of(base) { n -> component.tensors[n]?.shape } else null

        /**
         * @param shape ggml shapes by name under the component, null for an absent tensor
         * @throws IllegalArgumentException naming a tensor that is absent or whose shape does not fit the others
         */
        fun of(base: Ltx2VocoderDimensions, shape: (String) -> List<Long>?): Ltx2BweDimensions {
            val generator = Ltx2VocoderDimensions.of(GENERATOR, RATES) { n -> shape("$GENERATOR.$n") }
            fun tensor(n: String) = shape(n)?.let { s -> LongArray(4) { s.getOrElse(it) { 1L } } }
                ?: throw IllegalArgumentException("the LTX-2 vocoder has a bandwidth extension ($GENERATOR.*) but no '$n'")
            val stft = tensor(STFT_BASIS)
            require(stft[1] == 1L && stft[3] == 1L && stft[2] % 2 == 0L && stft[0] >= HOP) {
                "'$STFT_BASIS' (${stft.toList()}) is not an STFT basis [taps ≥ $HOP, 1, 2·frequencies]"
            }
            val frequencies = stft[2] / 2
            val mel = tensor(MEL_BASIS)
            require(mel[0] == frequencies && mel[2] == 1L && mel[3] == 1L) {
                "'$MEL_BASIS' (${mel.toList()}) does not fold the STFT's $frequencies frequencies to mel bins"
            }
            require(generator.melBins == mel[1] && generator.audioChannels == base.audioChannels) {
                "'$GENERATOR.conv_pre.weight' reads ${generator.inputChannels} inputs, not ${base.audioChannels} channels of '$MEL_BASIS''s ${mel[1]} mel bins"
            }
            require(generator.hop == HOP * RATIO) {
                "'$GENERATOR' makes ${generator.hop} samples per mel frame, not $RATIO × the $HOP-sample hop"
            }
            // the base waveform is then a whole number of STFT frames: sd.cpp's zero padding to the hop never happens
            require(base.hop % HOP == 0) { "the base vocoder's ${base.hop} samples per frame are not a whole number of $HOP-sample STFT frames" }
            return Ltx2BweDimensions(generator, stft[0].toInt(), frequencies, mel[1])
        }
    }
}
