package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.GgmlType
import kotlin.math.cos
import kotlin.math.exp
import kotlin.math.ln
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * LTX-2's video decoder in float64, written from ltx_core's definitions (VideoDecoder, ResnetBlock3D, PixelNorm,
 * DepthToSpaceUpsample, unpatchify) with activations [W, H, T, C] as Nd (W fastest).
 */
object Ltx2VaeReference64 {

    /** [TinyLtx2Vae]'s tensors as random weights (kernels in [kernelType], tables bf16), the multiplier 1000 as released. */
    fun weights(seed: Long, dimensions: Ltx2VaeDimensions = TinyLtx2Vae.TINY, kernelType: GgmlType = GgmlType.F16): RandomWeights {
        val w = RandomWeights(seed)
        for (e in TinyLtx2Vae(dimensions).entries) {
            val torch = e.torchShape.map { it.toInt() }
            val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
            when {
                e.name.endsWith("timestep_scale_multiplier") -> w.set(e.name, Nd.of(floatArrayOf(1000f), 1))
                e.isNormScale -> w.set(e.name, Nd.random(java.util.Random(seed + 7), 0.2, *ne).map { 1 + it })
                e.isKernel -> w.add(e.name, *ne, type = kernelType, std = 1.0 / sqrt(27.0 * torch[1]))
                // bf16 as the released checkpoint stores them, and as the loader keeps 2-D tensors
                e.name.endsWith("scale_shift_table") -> w.add(e.name, *ne, type = GgmlType.BF16)
                else -> w.add(e.name, *ne)
            }
        }
        return w
    }

    /** Unpadded 3-D convolution: x [W, H, T, Cin], kernel [3, 3, 3, Cin·Cout] → [W − 2, H − 2, T − 2, Cout]. */
    fun conv3dValid(x: Nd, kernel: Nd): Nd {
        val (w, h, t, cin) = x.ne.toList()
        val cout = kernel.ne(3) / cin
        val out = Nd(w - 2, h - 2, t - 2, cout)
        for (o in 0 until cout) for (z in 0 until t - 2) for (y in 0 until h - 2) for (xx in 0 until w - 2) {
            var s = 0.0
            for (i in 0 until cin) for (kt in 0..2) for (ky in 0..2) for (kx in 0..2) {
                s += kernel.d[kx + 3 * (ky + 3 * (kt + 3 * (i + cin * o)))] * x.d[xx + kx + w * (y + ky + h * (z + kt + t * i))]
            }
            out.d[xx + (w - 2) * (y + (h - 2) * (z + (t - 2) * o))] = s
        }
        return out
    }

    /** The decoder's convolution: one replicated frame before and after, a reflected one-pixel border, the bias. */
    fun conv(x: Nd, w: Weights64): Nd {
        val (wd, h, t, c) = x.ne.toList()
        val padded = Nd(wd + 2, h + 2, t + 2, c)
        fun reflect(i: Int, n: Int) = when (i) { -1 -> 1; n -> n - 2; else -> i }
        for (ch in 0 until c) for (z in -1..t) for (y in -1..h) for (xx in -1..wd) {
            val src = xx.let { reflect(it, wd) } + wd * (reflect(y, h) + h * (z.coerceIn(0, t - 1) + t * ch))
            padded.d[xx + 1 + (wd + 2) * (y + 1 + (h + 2) * (z + 1 + (t + 2) * ch))] = x.d[src]
        }
        val y = conv3dValid(padded, w.get("conv.weight"))
        val bias = w.get("conv.bias")
        val plane = wd * h * t
        for (i in y.d.indices) y.d[i] += bias.d[i / plane]
        return y
    }

    fun pixelNorm(x: Nd): Nd {
        val c = x.ne[3]
        val plane = x.d.size / c
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (p in 0 until plane) {
            var sq = 0.0
            for (ch in 0 until c) sq += x.d[p + plane * ch] * x.d[p + plane * ch]
            val inv = 1.0 / sqrt(sq / c + Ltx2VideoVae.PIXEL_NORM_EPS)
            for (ch in 0 until c) out.d[p + plane * ch] = x.d[p + plane * ch] * inv
        }
        return out
    }

    fun silu(x: Nd): Nd = x.map { it / (1 + exp(-it)) }

    /** "(c p1 p2 p3) t h w → c (t p1) (h p2) (w p3)", then the first frame dropped when [dropFirst] and p1 = 2. */
    fun depthToSpace(x: Nd, p1: Int, p2: Int, p3: Int, dropFirst: Boolean): Nd {
        val (w, h, t, cin) = x.ne.toList()
        val c = cin / (p1 * p2 * p3)
        val skip = if (dropFirst && p1 > 1) 1 else 0
        val out = Nd(w * p3, h * p2, t * p1 - skip, c)
        for (ch in 0 until c) for (i1 in 0 until p1) for (i2 in 0 until p2) for (i3 in 0 until p3) {
            val src = ((ch * p1 + i1) * p2 + i2) * p3 + i3
            for (z in 0 until t) for (y in 0 until h) for (xx in 0 until w) {
                val tz = z * p1 + i1 - skip
                if (tz < 0) continue
                out.d[xx * p3 + i3 + w * p3 * (y * p2 + i2 + h * p2 * (tz + (t * p1 - skip) * ch))] = x.d[xx + w * (y + h * (z + t * src))]
            }
        }
        return out
    }

    /** conv_out's channels c·16 + r·4 + q → colour c at column 4x + r, row 4y + q. */
    fun unpatchify(x: Nd): Nd {
        val (w, h, t, cin) = x.ne.toList()
        val p = Ltx2VideoVae.PATCH
        val out = Nd(w * p, h * p, t, cin / (p * p))
        for (c in 0 until cin / (p * p)) for (r in 0 until p) for (q in 0 until p) for (z in 0 until t) for (y in 0 until h) for (xx in 0 until w) {
            out.d[xx * p + r + w * p * (y * p + q + h * p * (z + t * c))] = x.d[xx + w * (y + h * (z + t * (c * p * p + r * p + q)))]
        }
        return out
    }

    private fun linear(x: DoubleArray, w: Weights64): DoubleArray {
        val m = w.get("weight")
        val inputs = m.ne[0]
        val b = w.get("bias").d
        return DoubleArray(m.ne[1]) { o -> b[o] + (0 until inputs).sumOf { i -> m.d[i + inputs * o] * x[i] } }
    }

    /** PixArt-α's embedder: [cos, sin] of t·10000^(−i/128), linear_1, SiLU, linear_2. */
    fun timeEmbedding(w: Weights64, t: Double): DoubleArray {
        val half = Ltx2VideoVae.TIME_PROJECTION / 2
        val proj = DoubleArray(2 * half) { i ->
            val f = exp(-ln(10_000.0) * (i % half) / half)
            if (i < half) cos(t * f) else sin(t * f)
        }
        val e = w.at("timestep_embedder")
        return linear(linear(proj, e.at("linear_1")).map { it / (1 + exp(-it)) }.toDoubleArray(), e.at("linear_2"))
    }

    /** x·(1 + table[row + 1] + emb) + table[row] + emb, per channel; [table] [C, n] plus the embedding [C·n]. */
    private fun modulate(x: Nd, table: Nd, embedded: DoubleArray, row: Int): Nd {
        val c = x.ne[3]
        val plane = x.d.size / c
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (ch in 0 until c) {
            val shift = table.d[ch + c * row] + embedded[ch + c * row]
            val scale = table.d[ch + c * (row + 1)] + embedded[ch + c * (row + 1)]
            for (p in 0 until plane) out.d[p + plane * ch] = x.d[p + plane * ch] * (1 + scale) + shift
        }
        return out
    }

    /** The whole decode: z [W, H, F', 128] → [32W, 32H, 8(F' − 1) + 1, 3]. */
    fun decode(vae: Weights64, dims: Ltx2VaeDimensions, z: Nd): Nd {
        val d = vae.at("decoder")
        val std = vae.get("per_channel_statistics.${Ltx2VideoVae.STD}").d
        val mean = vae.get("per_channel_statistics.${Ltx2VideoVae.MEAN}").d
        val plane = z.d.size / z.ne[3]
        var x = Nd(z.ne.copyOf(), DoubleArray(z.d.size) { z.d[it] * std[it / plane] + mean[it / plane] })
        val t = if (dims.conditioned) Ltx2VideoVae.DECODE_TIMESTEP.toDouble() * d.get("timestep_scale_multiplier").d[0] else 0.0
        x = conv(x, d.at("conv_in"))
        for (level in dims.levels) {
            val w = d.at("up_blocks.${level.index}")
            when (level) {
                is Ltx2VaeLevel.Residual -> {
                    val emb = if (level.conditioned) timeEmbedding(w.at("time_embedder"), t) else null
                    for (j in 0 until level.blocks) {
                        val b = w.at("res_blocks.$j")
                        var h = pixelNorm(x)
                        if (emb != null) h = modulate(h, b.get("scale_shift_table"), emb, 0)
                        h = conv(silu(h), b.at("conv1"))
                        h = pixelNorm(h)
                        if (emb != null) h = modulate(h, b.get("scale_shift_table"), emb, 2)
                        x = conv(silu(h), b.at("conv2")) + x
                    }
                }
                is Ltx2VaeLevel.Upsample -> x = depthToSpace(conv(x, w.at("conv")), level.time, level.space, level.space, dropFirst = true)
            }
        }
        x = pixelNorm(x)
        if (dims.conditioned) x = modulate(x, d.get("last_scale_shift_table"), timeEmbedding(d.at("last_time_embedder"), t), 0)
        return unpatchify(conv(silu(x), d.at("conv_out")))
    }
}
