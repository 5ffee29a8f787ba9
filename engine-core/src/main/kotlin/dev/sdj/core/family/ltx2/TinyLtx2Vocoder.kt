package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.PI
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * LTX-2.3's base vocoder with random weights and the checkpoint's tensor names (`vocoder.vocoder.*` in the file), built
 * from [dimensions]: by default LTX-2.3's structure — 128 mel inputs, six upsamplings ×160 with its kernels, three AMP
 * blocks of kernels 3, 7, 11 after each, conv_post to stereo without bias — at 24 channels or fewer.
 *
 * Values: N(0, 0.05²) throughout ([RandomTensorBytes] without fan-in scaling: unit-gain kernels would double the signal
 * in each of the 54 residual units, and SnakeBeta's sine of a signal grown that large is noise), SnakeBeta's log-scale
 * α, β included; the anti-aliasing filters are BigVGAN's Kaiser-windowed sincs ([kaiserSinc]) as the checkpoint stores
 * them.
 *
 * With [bwe], the bandwidth extension too: `bwe_generator.*` of those dimensions and `mel_stft.*`, the STFT basis a
 * Hann-windowed DFT of [FFT_TAPS] taps and the mel basis triangles over the [FREQUENCIES] bins ([melBasis]).
 *
 * @param kernelType storage of the convolution kernels; everything else is f32
 */
class TinyLtx2Vocoder @JvmOverloads constructor(
    val dimensions: Ltx2VocoderDimensions = TINY,
    seed: Long = 1,
    val kernelType: DType = DType.F16,
    val bwe: Ltx2VocoderDimensions? = null,
) {
    /** One tensor: its name in the component (the file's without `vocoder.`), its PyTorch shape, what it holds. */
    data class Entry(val name: String, val torchShape: List<Long>, val kind: Kind)

    /** FILTER: an anti-aliasing filter; BASIS: the extension's STFT or mel basis (both computed, not random). */
    enum class Kind { KERNEL, VECTOR, FILTER, BASIS }

    private val random = RandomTensorBytes(seed, fanInScaled = false)

    val entries: List<Entry> = generator(Ltx2Vocoding.GENERATOR, dimensions) + (bwe?.let { b ->
        generator(Ltx2BweDimensions.GENERATOR, b) + listOf(
            Entry(Ltx2BweDimensions.STFT_BASIS, listOf(2L * FREQUENCIES, 1, FFT_TAPS.toLong()), Kind.BASIS),
            Entry(Ltx2BweDimensions.MEL_BASIS, listOf(b.melBins, FREQUENCIES.toLong()), Kind.BASIS),
        )
    } ?: emptyList())

    private fun generator(g: String, d: Ltx2VocoderDimensions): List<Entry> {
        val out = ArrayList<Entry>()
        fun conv(name: String, cin: Long, cout: Long, taps: Int, bias: Boolean = true) {
            out += Entry("$g.$name.weight", listOf(cout, cin, taps.toLong()), Kind.KERNEL)
            if (bias) out += Entry("$g.$name.bias", listOf(cout), Kind.VECTOR)
        }
        fun activation(name: String, channels: Long) {
            out += Entry("$g.$name.act.alpha", listOf(channels), Kind.VECTOR)
            out += Entry("$g.$name.act.beta", listOf(channels), Kind.VECTOR)
            out += Entry("$g.$name.upsample.filter", listOf(1, 1, d.filterTaps.toLong()), Kind.FILTER)
            out += Entry("$g.$name.downsample.lowpass.filter", listOf(1, 1, d.filterTaps.toLong()), Kind.FILTER)
        }
        conv("conv_pre", d.inputChannels, d.preChannels, d.preKernel)
        for (level in d.levels) {
            out += Entry("$g.ups.${level.index}.weight", listOf(level.inChannels, level.channels, level.kernel.toLong()), Kind.KERNEL)
            out += Entry("$g.ups.${level.index}.bias", listOf(level.channels), Kind.VECTOR)
        }
        for (level in d.levels) for ((j, k) in d.blockKernels.withIndex()) {
            val b = "resblocks.${level.index * d.blockKernels.size + j}"
            for (i in d.dilations.indices) {
                conv("$b.convs1.$i", level.channels, level.channels, k)
                conv("$b.convs2.$i", level.channels, level.channels, k)
                activation("$b.acts1.$i", level.channels)
                activation("$b.acts2.$i", level.channels)
            }
        }
        activation("act_post", d.levels.last().channels)
        conv("conv_post", d.levels.last().channels, d.audioChannels, d.postKernel, d.postBias)
        return out
    }

    /** The values of a [Kind.BASIS] or [Kind.FILTER] entry, C order of its PyTorch shape. */
    fun computed(entry: Entry): FloatArray = when (entry.name) {
        Ltx2BweDimensions.STFT_BASIS -> stftBasis()
        Ltx2BweDimensions.MEL_BASIS -> melBasis(entry.torchShape[0].toInt())
        else -> kaiserSinc(dimensions.filterTaps)
    }

    /** The type [entry] is stored in. */
    fun typeOf(entry: Entry): DType = if (entry.kind == Kind.KERNEL) kernelType else DType.F32

    /** The vocoder as the LTX-2.3 audio checkpoint holds it: every tensor under `vocoder.`, in one safetensors file. */
    fun write(path: Path): Path {
        val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2.3 vocoder")
        for (e in entries) {
            val type = typeOf(e)
            val bytes = if (e.kind == Kind.FILTER || e.kind == Kind.BASIS) f32(computed(e)) else random.bytes(e.name, type, e.torchShape, false)
            w.addTensor(PREFIX + e.name, type, e.torchShape.reversed(), TensorData.of(bytes))
        }
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        w.write(path)
        return path
    }

    private fun f32(values: FloatArray): ByteBuffer {
        val b = ByteBuffer.allocate(4 * values.size).order(ByteOrder.LITTLE_ENDIAN)
        values.forEach { b.putFloat(it) }
        return b.flip()
    }

    companion object {
        const val PREFIX = "vocoder."

        /** LTX-2.3's STFT of the extension: 512 taps, 257 frequencies. */
        const val FFT_TAPS = 512
        const val FREQUENCIES = FFT_TAPS / 2 + 1

        /** LTX-2.3's BWE generator structure (rates 6, 5, 2, 2, 2, kernels 12, 11, 4, 4, 4) at 16 → 8 → 6 → 4 → 4 → 4 channels (the real one: 512 … 16). */
        @JvmStatic
        fun tinyBwe(blockKernels: List<Int> = listOf(3, 7, 11)) = Ltx2VocoderDimensions(
            inputChannels = 128, preChannels = 16, preKernel = 7,
            levels = listOf(16L, 8, 6, 4, 4, 4).zipWithNext().mapIndexed { i, (cin, cout) ->
                Ltx2VocoderLevel(i, Ltx2BweDimensions.RATES[i], listOf(12, 11, 4, 4, 4)[i], cin, cout)
            },
            blockKernels = blockKernels, dilations = Ltx2VocoderDimensions.DILATIONS,
            filterTaps = Ltx2VocoderDimensions.FILTER_TAPS, postKernel = 7, postBias = false, audioChannels = 2,
        )

        /** LTX-2.3's BWE generator at its real channel counts, 512 → 256 … 16. */
        @JvmField
        val LTX_2_3_BWE: Ltx2VocoderDimensions = tinyBwe().let { t ->
            t.copy(preChannels = 512, levels = t.levels.map { it.copy(inChannels = 512L shr it.index, channels = 512L shr (it.index + 1)) })
        }

        /** A periodic-Hann-windowed DFT as the STFT's convolution: rows 0 … F − 1 w·cos, F … 2F − 1 −w·sin ([2F, 1, taps]). */
        fun stftBasis(): FloatArray = FloatArray(2 * FREQUENCIES * FFT_TAPS) { at ->
            val (row, n) = at / FFT_TAPS to at % FFT_TAPS
            val f = row % FREQUENCIES
            val window = 0.5 - 0.5 * cos(2 * PI * n / FFT_TAPS)
            val angle = 2 * PI * f * n / FFT_TAPS
            (window * if (row < FREQUENCIES) cos(angle) else -sin(angle)).toFloat()
        }

        /** [mels] triangles, evenly spaced over the frequencies, each of unit peak ([mels, F]). */
        fun melBasis(mels: Int): FloatArray = FloatArray(mels * FREQUENCIES) { at ->
            val (m, f) = at / FREQUENCIES to at % FREQUENCIES
            val width = (FREQUENCIES - 1).toDouble() / (mels + 1)
            maxOf(0.0, 1 - abs(f - (m + 1) * width) / width).toFloat()
        }

        /** LTX-2.3's vocoder structure at 24 → 12 → 8 → 6 → 4 → 4 → 4 channels (the real one: 1536 → 768 … 24). */
        val TINY = Ltx2VocoderDimensions(
            inputChannels = 128, preChannels = 24, preKernel = 7,
            levels = listOf(24L, 12, 8, 6, 4, 4, 4).zipWithNext().mapIndexed { i, (cin, cout) ->
                Ltx2VocoderLevel(i, Ltx2VocoderDimensions.RATES[i], if (i == 0) 11 else 4, cin, cout)
            },
            blockKernels = listOf(3, 7, 11), dilations = Ltx2VocoderDimensions.DILATIONS,
            filterTaps = Ltx2VocoderDimensions.FILTER_TAPS, postKernel = 7, postBias = false, audioChannels = 2,
        )

        /**
         * BigVGAN's anti-aliasing low-pass at ratio 2 (kaiser_sinc_filter1d with cutoff 0.25, half-width 0.3): a sinc
         * of that cutoff sampled at half-integers, under a Kaiser window of the β its transition width gives,
         * normalised to sum 1.
         */
        fun kaiserSinc(taps: Int): FloatArray {
            val cutoff = 0.5 / Ltx2VocoderDimensions.ANTI_ALIAS_RATIO
            val halfWidth = 0.6 / Ltx2VocoderDimensions.ANTI_ALIAS_RATIO
            val half = taps / 2
            val amplitude = 2.285 * (half - 1) * PI * 4 * halfWidth + 7.95
            val beta = when {
                amplitude > 50 -> 0.1102 * (amplitude - 8.7)
                amplitude >= 21 -> 0.5842 * Math.pow(amplitude - 21, 0.4) + 0.07886 * (amplitude - 21)
                else -> 0.0
            }
            val values = DoubleArray(taps) { n ->
                val time = if (taps % 2 == 0) n - half + 0.5 else (n - half).toDouble()
                val ratio = 2.0 * n / (taps - 1) - 1
                val window = besselI0(beta * sqrt(1 - ratio * ratio)) / besselI0(beta)
                val x = 2 * cutoff * time
                2 * cutoff * window * (if (x == 0.0) 1.0 else sin(PI * x) / (PI * x))
            }
            val sum = values.sum()
            return FloatArray(taps) { (values[it] / sum).toFloat() }
        }

        /** The modified Bessel function of the first kind, order 0, by its power series. */
        private fun besselI0(x: Double): Double {
            var term = 1.0
            var sum = 1.0
            var k = 1
            while (term > 1e-17 * sum) {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k++
            }
            return sum
        }
    }
}
