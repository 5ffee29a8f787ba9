package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.DType
import dev.sdj.ggml.GgmlType
import kotlin.math.exp
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * LTX-2.3's vocoder in float64, written from ltx_core's PyTorch definitions (Vocoder, AMPBlock1, Activation1d,
 * UpSample1d, LowPassFilter1d, SnakeBeta) with signals [T, C] as Nd (time fastest), weights in ggml order: Conv1d
 * [K, Cin, Cout], ConvTranspose1d [K, Cout, Cin], filters [K].
 */
object Ltx2VocoderReference64 {

    /**
     * [TinyLtx2Vocoder]'s tensors as random weights under the component's names: kernels in [kernelType], SnakeBeta's
     * log-scale α and β N(0, 0.3²) so the activation is far from the identity, the filters BigVGAN's.
     */
    fun weights(seed: Long, dimensions: Ltx2VocoderDimensions = TinyLtx2Vocoder.TINY, kernelType: GgmlType = GgmlType.F32,
                bwe: Ltx2VocoderDimensions? = null): RandomWeights {
        val w = RandomWeights(seed)
        val tiny = TinyLtx2Vocoder(dimensions, kernelType = DType.F32, bwe = bwe)
        for (e in tiny.entries) {
            val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
            when {
                e.kind == TinyLtx2Vocoder.Kind.FILTER || e.kind == TinyLtx2Vocoder.Kind.BASIS -> w.set(e.name, Nd.of(tiny.computed(e), *ne))
                // the AMP blocks' residual branches a tenth of their input or so: unit-scale N(0, 1/fan-in) kernels double
                // the signal in each of the 54 residual units, and the periodic SnakeBeta of a signal grown to 1e5
                // turns any rounding into a different phase
                e.kind == TinyLtx2Vocoder.Kind.KERNEL -> w.add(e.name, *ne, type = kernelType,
                    std = (if (".resblocks." in e.name) RESIDUAL_GAIN else 1.0) / sqrt(ne[0].toDouble() * e.torchShape[1]))
                e.name.endsWith(".alpha") || e.name.endsWith(".beta") -> w.add(e.name, *ne, std = 0.3)
                else -> w.add(e.name, *ne, std = 0.05)
            }
        }
        return w
    }

    private const val RESIDUAL_GAIN = 0.3

    /** The log-mel [bins, T, channels] of the audio decoder as conv_pre reads it: [T, channels·bins]. */
    fun stacked(mel: Nd): Nd {
        val (bins, t, channels) = mel.ne.toList()
        val out = Nd(t, bins * channels)
        for (c in 0 until channels) for (f in 0 until t) for (b in 0 until bins) out.d[f + t * (c * bins + b)] = mel.d[b + bins * (f + t * c)]
        return out
    }

    fun vocoder(w: Weights64, d: Ltx2VocoderDimensions, mel: Nd, clamp: Boolean = true): Nd {
        var x = conv(stacked(mel), w.at("conv_pre"), 1)
        val n = d.blockKernels.size
        for (level in d.levels) {
            x = upsample(x, w.at("ups.${level.index}"), level)
            val blocks = (0 until n).map { ampBlock(x, w.at("resblocks.${level.index * n + it}"), d.dilations) }
            x = Nd(x.ne.copyOf(), DoubleArray(x.d.size) { i -> blocks.sumOf { it.d[i] } / n })
        }
        x = conv(antiAliased(x, w.at("act_post")), w.at("conv_post"), 1)
        return if (clamp) x.map { it.coerceIn(-1.0, 1.0) } else x
    }

    fun ampBlock(input: Nd, w: Weights64, dilations: List<Int>): Nd {
        var x = input
        for ((i, dilation) in dilations.withIndex()) {
            var h = antiAliased(x, w.at("acts1.$i"))
            h = conv(h, w.at("convs1.$i"), dilation)
            h = antiAliased(h, w.at("acts2.$i"))
            x = x + conv(h, w.at("convs2.$i"), 1)
        }
        return x
    }

    /** Conv1d(padding = dilation·(K − 1)/2, zeros) with the bias if there is one. */
    fun conv(x: Nd, w: Weights64, dilation: Int): Nd {
        val k = w.get("weight")
        val (taps, cin, cout) = listOf(k.ne(0), k.ne(1), k.ne(2))
        val t = x.ne(0)
        val pad = dilation * (taps - 1) / 2
        val out = Nd(t, cout)
        for (o in 0 until cout) for (p in 0 until t) {
            var s = if (w.has("bias")) w.get("bias").d[o] else 0.0
            for (i in 0 until cin) for (j in 0 until taps) {
                val at = p + j * dilation - pad
                if (at in 0 until t) s += k.d[j + taps * (i + cin * o)] * x.d[at + t * i]
            }
            out.d[p + t * o] = s
        }
        return out
    }

    /** ConvTranspose1d(stride = rate, padding = (K − rate)/2) with its bias. */
    fun upsample(x: Nd, w: Weights64, level: Ltx2VocoderLevel): Nd {
        val k = w.get("weight")
        val (taps, cout, cin) = listOf(k.ne(0), k.ne(1), k.ne(2))
        val t = x.ne(0)
        val full = (t - 1) * level.rate + taps
        val length = full - 2 * level.padding
        val out = Nd(length, cout)
        for (o in 0 until cout) for (p in 0 until length) out.d[p + length * o] = w.get("bias").d[o]
        for (i in 0 until cin) for (s in 0 until t) for (o in 0 until cout) for (j in 0 until taps) {
            val p = s * level.rate + j - level.padding
            if (p in 0 until length) out.d[p + length * o] += x.d[s + t * i] * k.d[j + taps * (o + cout * i)]
        }
        return out
    }

    /** Activation1d: UpSample1d(2), SnakeBeta, DownSample1d(2) (LowPassFilter1d at stride 2), per channel. */
    fun antiAliased(x: Nd, w: Weights64): Nd {
        val (t, c) = x.ne(0) to x.ne(1)
        val up = w.get("upsample.filter").d
        val low = w.get("downsample.lowpass.filter").d
        val alpha = w.get("act.alpha").d
        val beta = w.get("act.beta").d
        val r = Ltx2VocoderDimensions.ANTI_ALIAS_RATIO
        val k = up.size
        val pad = k / r - 1
        val cropLeft = pad * r + (k - r) / 2
        val out = Nd(t, c)
        for (ch in 0 until c) {
            // UpSample1d: replicate-pad by pad, ratio × conv_transpose1d at stride r, crop
            val padded = DoubleArray(t + 2 * pad) { x.d[(it - pad).coerceIn(0, t - 1) + t * ch] }
            val full = DoubleArray((padded.size - 1) * r + k)
            for (i in padded.indices) for (j in 0 until k) full[i * r + j] += r * padded[i] * up[j]
            val doubled = DoubleArray(r * t) { full[it + cropLeft] }
            // SnakeBeta with log-scale parameters
            val a = exp(alpha[ch])
            val b = exp(beta[ch])
            val snaked = DoubleArray(doubled.size) { val v = doubled[it]; v + 1.0 / (b + 1e-9) * sin(v * a) * sin(v * a) }
            // LowPassFilter1d: replicate-pad (K/2 − 1, K/2) for an even K, conv1d at stride r
            val left = low.size / 2 - (if (low.size % 2 == 0) 1 else 0)
            for (p in 0 until t) {
                var s = 0.0
                for (j in low.indices) s += low[j] * snaked[(r * p + j - left).coerceIn(0, snaked.size - 1)]
                out.d[p + t * ch] = s
            }
        }
        return out
    }
}
