package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.GgmlType
import kotlin.math.sqrt

/**
 * LTX-2's video encoder in float64, written from ltx_core's definitions (VideoEncoder, patchify, ResnetBlock3D with
 * causal convolutions, SpaceToDepthDownsample, PixelNorm, PerChannelStatistics.normalize) with activations
 * [W, H, T, C] as Nd (W fastest), index by index rather than by reshapes.
 */
object Ltx2VaeEncoderReference64 {

    /** [TinyLtx2VaeEncoder]'s tensors as random weights, kernels in [kernelType]. */
    fun weights(seed: Long, dimensions: Ltx2VaeEncoderDimensions = TinyLtx2VaeEncoder.TINY, kernelType: GgmlType = GgmlType.F16): RandomWeights {
        val w = RandomWeights(seed)
        for (e in TinyLtx2VaeEncoder(dimensions).entries) {
            val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
            if (e.isKernel) w.add(e.name, *ne, type = kernelType, std = 1.0 / sqrt(27.0 * e.torchShape[1])) else w.add(e.name, *ne)
        }
        return w
    }

    /** Causal convolution: two copies of the first frame before, a zero border of one pixel, the bias. */
    fun conv(x: Nd, w: Weights64): Nd {
        val (wd, h, t, c) = x.ne.toList()
        val padded = Nd(wd + 2, h + 2, t + 2, c)
        for (ch in 0 until c) for (z in -2 until t) for (y in 0 until h) for (xx in 0 until wd) {
            padded.d[xx + 1 + (wd + 2) * (y + 1 + (h + 2) * (z + 2 + (t + 2) * ch))] = x.d[xx + wd * (y + h * (maxOf(z, 0) + t * ch))]
        }
        val y = Ltx2VaeReference64.conv3dValid(padded, w.get("conv.weight"))
        val bias = w.get("conv.bias")
        val plane = wd * h * t
        for (i in y.d.indices) y.d[i] += bias.d[i / plane]
        return y
    }

    /** rms over channels with [eps], as PixelNorm. */
    fun pixelNorm(x: Nd, eps: Double): Nd {
        val c = x.ne[3]
        val plane = x.d.size / c
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (p in 0 until plane) {
            var sq = 0.0
            for (ch in 0 until c) sq += x.d[p + plane * ch] * x.d[p + plane * ch]
            val inv = 1.0 / sqrt(sq / c + eps)
            for (ch in 0 until c) out.d[p + plane * ch] = x.d[p + plane * ch] * inv
        }
        return out
    }

    /** "c (t p1) (h p2) (w p3) → (c p1 p2 p3) t h w". */
    fun spaceToDepth(x: Nd, p1: Int, p2: Int, p3: Int): Nd {
        val (w, h, t, c) = x.ne.toList()
        val out = Nd(w / p3, h / p2, t / p1, c * p1 * p2 * p3)
        for (ch in 0 until c) for (i1 in 0 until p1) for (i2 in 0 until p2) for (i3 in 0 until p3) {
            val dst = ((ch * p1 + i1) * p2 + i2) * p3 + i3
            for (z in 0 until t / p1) for (y in 0 until h / p2) for (xx in 0 until w / p3) {
                out.d[xx + w / p3 * (y + h / p2 * (z + t / p1 * dst))] = x.d[xx * p3 + i3 + w * (y * p2 + i2 + h * (z * p1 + i1 + t * ch))]
            }
        }
        return out
    }

    /** ltx_core's patchify "c (f p) (h q) (w r) → (c p r q) f h w" with p = 1: channel c·16 + r·4 + q. */
    fun patchify(x: Nd): Nd {
        val (w, h, t, c) = x.ne.toList()
        val p = Ltx2VideoVae.PATCH
        val out = Nd(w / p, h / p, t, c * p * p)
        for (ch in 0 until c) for (r in 0 until p) for (q in 0 until p) for (z in 0 until t) for (y in 0 until h / p) for (xx in 0 until w / p) {
            out.d[xx + w / p * (y + h / p * (z + t * (ch * p * p + r * p + q)))] = x.d[xx * p + r + w * (y * p + q + h * (z + t * ch))]
        }
        return out
    }

    /** Each channel the mean of [g] consecutive ones: "(c g) → c" averaged. */
    fun groupMean(x: Nd, g: Int): Nd {
        val plane = x.d.size / x.ne[3]
        val out = Nd(x.ne[0], x.ne[1], x.ne[2], x.ne[3] / g)
        for (c in 0 until x.ne[3] / g) for (p in 0 until plane) out.d[p + plane * c] = (0 until g).sumOf { x.d[p + plane * (c * g + it)] } / g
        return out
    }

    fun downsample(x0: Nd, w: Weights64, level: Ltx2VaeEncoderLevel.Downsample): Nd {
        val x = if (level.time > 1) {
            val (wd, h, t, c) = x0.ne.toList()
            val out = Nd(wd, h, t + 1, c)
            for (ch in 0 until c) for (z in 0..t) for (p in 0 until wd * h) out.d[p + wd * h * (z + (t + 1) * ch)] = x0.d[p + wd * h * (maxOf(z - 1, 0) + t * ch)]
            out
        } else x0
        val skip = groupMean(spaceToDepth(x, level.time, level.space, level.space), level.group.toInt())
        return spaceToDepth(conv(x, w.at("conv")), level.time, level.space, level.space) + skip
    }

    /** The whole encode: video [W, H, T, 3] → the normalised latent [W/32, H/32, 1 + (T − 1)/8, 128]. */
    fun encode(vae: Weights64, dims: Ltx2VaeEncoderDimensions, video: Nd, mean: DoubleArray, std: DoubleArray): Nd {
        val e = vae.at("encoder")
        var x = conv(patchify(video), e.at("conv_in"))
        for (level in dims.levels) {
            val w = e.at("down_blocks.${level.index}")
            when (level) {
                is Ltx2VaeEncoderLevel.Residual -> for (j in 0 until level.blocks) {
                    val b = w.at("res_blocks.$j")
                    val h = conv(Ltx2VaeReference64.silu(pixelNorm(x, Ltx2VideoVae.PIXEL_NORM_EPS.toDouble())), b.at("conv1"))
                    x = conv(Ltx2VaeReference64.silu(pixelNorm(h, Ltx2VideoVae.PIXEL_NORM_EPS.toDouble())), b.at("conv2")) + x
                }
                is Ltx2VaeEncoderLevel.Downsample -> x = downsample(x, w, level)
            }
        }
        x = conv(Ltx2VaeReference64.silu(pixelNorm(x, Ltx2VideoVaeEncoder.OUT_NORM_EPS.toDouble())), e.at("conv_out"))
        val c = Ltx2VideoVae.LATENT_CHANNELS.toInt()
        val plane = x.d.size / x.ne[3]
        return Nd(intArrayOf(x.ne[0], x.ne[1], x.ne[2], c), DoubleArray(plane * c) { i -> (x.d[i] - mean[i / plane]) / std[i / plane] })
    }
}
