package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.GgmlType
import kotlin.math.sqrt

/**
 * LTX-2's audio VAE decoder in float64, written from Lightricks' definitions (the audio Decoder, ResnetBlock,
 * Upsample, PixelNorm, CausalConv2d with causality on the height axis) with activations [bins, time, C] as Nd (bins
 * fastest).
 */
object Ltx2AudioVaeReference64 {

    /** [Ltx2AudioVaeTensors]' tensors as random weights, kernels in [kernelType], the statistics' std around 1. */
    fun weights(seed: Long, dimensions: Ltx2AudioVaeDimensions = TinyLtx2AudioVae.TINY, kernelType: GgmlType = GgmlType.F16): RandomWeights {
        val w = RandomWeights(seed)
        for (e in Ltx2AudioVaeTensors.of(dimensions)) {
            val torch = e.torchShape.map { it.toInt() }
            val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
            when {
                e.isNormScale -> w.set(e.name, Nd.random(java.util.Random(seed + 7), 0.2, *ne).map { 1 + it })
                e.isKernel -> w.add(e.name, *ne, type = kernelType, std = 1.0 / sqrt(torch[1] * torch[2] * torch[3].toDouble()))
                else -> w.add(e.name, *ne)
            }
        }
        return w
    }

    /** The causal convolution: kernel − 1 zero rows before the first time row, kernel / 2 zero bins either side. */
    fun conv(x: Nd, w: Weights64): Nd {
        val kernel = w.get("conv.weight")
        val padW = kernel.ne(0) - 1
        val padH = kernel.ne(1) - 1
        val (bins, t, c) = x.ne.toList()
        val padded = Nd(bins + padW, t + padH, c)
        for (ch in 0 until c) for (y in 0 until t) for (f in 0 until bins) {
            padded.d[f + padW / 2 + (bins + padW) * (y + padH + (t + padH) * ch)] = x.d[f + bins * (y + t * ch)]
        }
        val out = Reference64.conv2d(padded, kernel, w.get("conv.bias"), padding = 0)
        return Nd(intArrayOf(bins, t, kernel.ne(3)), out.d)
    }

    fun pixelNorm(x: Nd): Nd {
        val c = x.ne[2]
        val plane = x.d.size / c
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (p in 0 until plane) {
            var sq = 0.0
            for (ch in 0 until c) sq += x.d[p + plane * ch] * x.d[p + plane * ch]
            val inv = 1.0 / sqrt(sq / c + Ltx2AudioVae.PIXEL_NORM_EPS)
            for (ch in 0 until c) out.d[p + plane * ch] = x.d[p + plane * ch] * inv
        }
        return out
    }

    fun residual(x: Nd, w: Weights64): Nd {
        val h = conv(Reference64.silu(pixelNorm(conv(Reference64.silu(pixelNorm(x)), w.at("conv1")))), w.at("conv2"))
        return (if (w.has("nin_shortcut.conv.weight")) conv(x, w.at("nin_shortcut")) else x) + h
    }

    /** Nearest ×2 in bins and time, the convolution, then the first time row dropped. */
    fun upsample(x: Nd, w: Weights64): Nd {
        val (bins, t, c) = x.ne.toList()
        val up = Nd(2 * bins, 2 * t, c)
        for (ch in 0 until c) for (y in 0 until 2 * t) for (f in 0 until 2 * bins) up.d[f + 2 * bins * (y + 2 * t * ch)] = x.d[f / 2 + bins * (y / 2 + t * ch)]
        val y = conv(up, w.at("conv"))
        val out = Nd(2 * bins, 2 * t - 1, c)
        for (ch in 0 until c) for (r in 1 until 2 * t) System.arraycopy(y.d, 2 * bins * (r + 2 * t * ch), out.d, 2 * bins * (r - 1 + (2 * t - 1) * ch), 2 * bins)
        return out
    }

    /** The whole decode: z [bins, L, channels] → mel [melBins, melFrames(L), audioChannels]. */
    fun decode(vae: Weights64, dims: Ltx2AudioVaeDimensions, z: Nd): Nd {
        val d = vae.at("decoder")
        val std = vae.get(Ltx2AudioVaeDimensions.STD).d
        val mean = vae.get(Ltx2AudioVaeDimensions.MEAN).d
        val bins = z.ne[0]
        val t = z.ne[1]
        // the statistic of channel c, bin f is value c·bins + f
        var x = Nd(z.ne.copyOf(), DoubleArray(z.d.size) { i -> (i % bins + bins * (i / (bins * t))).let { s -> z.d[i] * std[s] + mean[s] } })
        x = conv(x, d.at("conv_in"))
        for (j in 1..dims.midBlocks) x = residual(x, d.at("mid.block_$j"))
        for (level in dims.levels) {
            for (j in 0 until level.blocks) x = residual(x, d.at("up.${level.index}.block.$j"))
            if (level.upsamples) x = upsample(x, d.at("up.${level.index}.upsample"))
        }
        return conv(Reference64.silu(pixelNorm(x)), d.at("conv_out"))
    }
}
