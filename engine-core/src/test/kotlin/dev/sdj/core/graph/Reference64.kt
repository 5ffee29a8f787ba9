package dev.sdj.core.graph

import java.util.Random
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.exp
import kotlin.math.ln
import kotlin.math.max
import kotlin.math.sin
import kotlin.math.sqrt
import kotlin.math.tanh

/**
 * A float64 array in ggml's dimension order (ne[0] varies fastest): images [W, H, C, N] hold element (x, y, c, n) at
 * x + W·(y + H·(c + C·n)), token sequences [C, T, N] element (c, t, n) at c + C·(t + T·n).
 */
class Nd(val ne: IntArray, val d: DoubleArray) {
    init {
        require(ne.fold(1) { a, b -> a * b } == d.size) { "shape ${ne.toList()} does not hold ${d.size} values" }
    }

    constructor(vararg ne: Int) : this(ne, DoubleArray(ne.fold(1) { a, b -> a * b }))

    /** Size of dimension [i]; 1 beyond the stored rank, as in ggml. */
    fun ne(i: Int): Int = if (i < ne.size) ne[i] else 1

    fun toFloats(): FloatArray = FloatArray(d.size) { d[it].toFloat() }

    fun map(f: (Double) -> Double): Nd = Nd(ne.copyOf(), DoubleArray(d.size) { f(d[it]) })

    operator fun plus(o: Nd): Nd {
        require(ne.contentEquals(o.ne)) { "shapes ${ne.toList()} and ${o.ne.toList()} differ" }
        return Nd(ne.copyOf(), DoubleArray(d.size) { d[it] + o.d[it] })
    }

    companion object {
        /** Values of an f32 tensor; the float64 copy is exact. */
        fun of(values: FloatArray, vararg ne: Int) = Nd(ne, DoubleArray(values.size) { values[it].toDouble() })

        /** Gaussian values of standard deviation [scale], already representable in f32 so both sides see the same input. */
        fun random(rnd: Random, scale: Double, vararg ne: Int): Nd {
            val out = Nd(*ne)
            for (i in out.d.indices) out.d[i] = (rnd.nextGaussian() * scale).toFloat().toDouble()
            return out
        }
    }
}

/** Parameters for the reference, by the same names the graph builders use. */
fun interface Weights64 {
    fun get(name: String): Nd

    fun has(name: String): Boolean = try {
        get(name)
        true
    } catch (e: NoSuchElementException) {
        false
    }

    fun at(prefix: String): Weights64 {
        val parent = this
        return object : Weights64 {
            override fun get(name: String) = parent.get("$prefix.$name")
            override fun has(name: String) = parent.has("$prefix.$name")
        }
    }
}

/**
 * Plain float64 implementations of the layers diffusion models are built from, written from the PyTorch definitions
 * (LDM / diffusers / Hugging Face CLIP), not from ggml's kernels, so a test comparing the two checks the graph code's
 * layouts and conventions as well as ggml's arithmetic. Weights are in ggml order: linear [in, out], convolution
 * kernels [KW, KH, Cin, Cout], per-channel vectors [C].
 */
object Reference64 {

    /** max|actual − expected| / max|expected|: the error measure every block test bounds. */
    fun relativeError(actual: FloatArray, expected: Nd): Double {
        require(actual.size == expected.d.size) { "ggml gave ${actual.size} values, the reference ${expected.d.size}" }
        var diff = 0.0
        var scale = 0.0
        for (i in actual.indices) {
            require(actual[i].isFinite()) { "ggml gave a non-finite value at $i: ${actual[i]}" }
            diff = max(diff, abs(actual[i] - expected.d[i]))
            scale = max(scale, abs(expected.d[i]))
        }
        require(scale > 0) { "the reference is all zeros: the comparison would prove nothing" }
        return diff / scale
    }

    // ---------------- images [W, H, C, N] ----------------

    /** PyTorch Conv2d (zero padding, dilation 1) with kernel [KW, KH, Cin, Cout] and optional bias [Cout]. */
    fun conv2d(x: Nd, kernel: Nd, bias: Nd?, stride: Int = 1, padding: Int = kernel.ne(0) / 2): Nd {
        val (w, h, cin, n) = dims4(x)
        val kw = kernel.ne(0)
        val kh = kernel.ne(1)
        val cout = kernel.ne(3)
        require(kernel.ne(2) == cin) { "kernel takes ${kernel.ne(2)} channels, the input has $cin" }
        val ow = (w + 2 * padding - kw) / stride + 1
        val oh = (h + 2 * padding - kh) / stride + 1
        val out = Nd(ow, oh, cout, n)
        for (b in 0 until n) for (co in 0 until cout) for (oy in 0 until oh) for (ox in 0 until ow) {
            var s = bias?.d?.get(co) ?: 0.0
            for (ci in 0 until cin) for (ky in 0 until kh) {
                val iy = oy * stride - padding + ky
                if (iy !in 0 until h) continue
                for (kx in 0 until kw) {
                    val ix = ox * stride - padding + kx
                    if (ix !in 0 until w) continue
                    s += kernel.d[kx + kw * (ky + kh * (ci + cin * co))] * x.d[ix + w * (iy + h * (ci + cin * b))]
                }
            }
            out.d[ox + ow * (oy + oh * (co + cout * b))] = s
        }
        return out
    }

    fun conv2d(x: Nd, w: Weights64, stride: Int = 1, padding: Int = w.get("weight").ne(0) / 2): Nd =
        conv2d(x, w.get("weight"), if (w.has("bias")) w.get("bias") else null, stride, padding)

    /** torch.nn.GroupNorm: mean and biased variance over each group's channels and all pixels, then γ·x̂ + β per channel. */
    fun groupNorm(x: Nd, w: Weights64, groups: Int = 32, eps: Double): Nd {
        val (wd, h, c, n) = dims4(x)
        require(c % groups == 0) { "$c channels do not split into $groups groups" }
        val gamma = w.get("weight").d
        val beta = w.get("bias").d
        val plane = wd * h
        val perGroup = c / groups * plane
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (b in 0 until n) for (g in 0 until groups) {
            val start = (b * c + g * (c / groups)) * plane
            var mean = 0.0
            for (i in 0 until perGroup) mean += x.d[start + i]
            mean /= perGroup
            var variance = 0.0
            for (i in 0 until perGroup) variance += (x.d[start + i] - mean).let { it * it }
            variance /= perGroup
            val inv = 1.0 / sqrt(variance + eps)
            for (i in 0 until perGroup) {
                val ch = g * (c / groups) + i / plane
                out.d[start + i] = (x.d[start + i] - mean) * inv * gamma[ch] + beta[ch]
            }
        }
        return out
    }

    /** F.interpolate(scale_factor=2, mode="nearest"). */
    fun upsampleNearest2(x: Nd): Nd {
        val (w, h, c, n) = dims4(x)
        val out = Nd(2 * w, 2 * h, c, n)
        for (p in 0 until c * n) for (y in 0 until 2 * h) for (xx in 0 until 2 * w) {
            out.d[xx + 2 * w * (y + 2 * h * p)] = x.d[xx / 2 + w * (y / 2 + h * p)]
        }
        return out
    }

    /** torch.cat([a, b], dim=1) on NCHW tensors: a's channels first. */
    fun concatChannels(a: Nd, b: Nd): Nd {
        val (w, h, ca, n) = dims4(a)
        val cb = b.ne(2)
        require(b.ne(0) == w && b.ne(1) == h && b.ne(3) == n) { "cannot concatenate ${a.ne.toList()} and ${b.ne.toList()}" }
        val out = Nd(w, h, ca + cb, n)
        val plane = w * h
        for (i in 0 until n) {
            System.arraycopy(a.d, i * ca * plane, out.d, i * (ca + cb) * plane, ca * plane)
            System.arraycopy(b.d, i * cb * plane, out.d, (i * (ca + cb) + ca) * plane, cb * plane)
        }
        return out
    }

    /** Adds v[c, n] to every pixel of channel c of image n (the timestep embedding in a UNet residual block). */
    fun addPerChannel(x: Nd, v: Nd): Nd {
        val (w, h, c, n) = dims4(x)
        require(v.ne(0) == c && v.ne(1) == n) { "vector ${v.ne.toList()} does not fit image ${x.ne.toList()}" }
        val out = Nd(x.ne.copyOf(), x.d.copyOf())
        for (i in out.d.indices) out.d[i] += v.d[i / (w * h)]
        return out
    }

    /** rearrange "b c h w -> b (h w) c": pixel (x, y) becomes token x + W·y. */
    fun imageToTokens(x: Nd): Nd {
        val (w, h, c, n) = dims4(x)
        val out = Nd(c, w * h, n)
        for (b in 0 until n) for (ch in 0 until c) for (p in 0 until w * h) out.d[ch + c * (p + w * h * b)] = x.d[p + w * h * (ch + c * b)]
        return out
    }

    fun tokensToImage(x: Nd, w: Int, h: Int): Nd {
        val c = x.ne(0)
        val n = x.ne(2)
        require(x.ne(1) == w * h) { "${x.ne(1)} tokens are not a $w×$h image" }
        val out = Nd(w, h, c, n)
        for (b in 0 until n) for (ch in 0 until c) for (p in 0 until w * h) out.d[p + w * h * (ch + c * b)] = x.d[ch + c * (p + w * h * b)]
        return out
    }

    // ---------------- rows (dimension 0) ----------------

    /** torch.nn.Linear: y = W x + b on every row; [w] is [in, out]. */
    fun linear(x: Nd, w: Nd, bias: Nd?): Nd {
        val inF = w.ne(0)
        val outF = w.ne(1)
        require(x.ne(0) == inF) { "linear takes $inF features, the input has ${x.ne(0)}" }
        val rows = x.d.size / inF
        val ne = x.ne.copyOf().also { it[0] = outF }
        val out = Nd(ne, DoubleArray(rows * outF))
        for (r in 0 until rows) for (o in 0 until outF) {
            var s = bias?.d?.get(o) ?: 0.0
            for (i in 0 until inF) s += w.d[i + inF * o] * x.d[i + inF * r]
            out.d[o + outF * r] = s
        }
        return out
    }

    fun linear(x: Nd, w: Weights64, bias: Boolean = w.has("bias")): Nd =
        linear(x, w.get("weight"), if (bias) w.get("bias") else null)

    /** torch.nn.LayerNorm over dimension 0 (biased variance). */
    fun layerNorm(x: Nd, w: Weights64, eps: Double = 1e-5): Nd {
        val c = x.ne(0)
        val gamma = w.get("weight").d
        val beta = w.get("bias").d
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            var mean = 0.0
            for (i in 0 until c) mean += x.d[r * c + i]
            mean /= c
            var variance = 0.0
            for (i in 0 until c) variance += (x.d[r * c + i] - mean).let { it * it }
            variance /= c
            val inv = 1.0 / sqrt(variance + eps)
            for (i in 0 until c) out.d[r * c + i] = (x.d[r * c + i] - mean) * inv * gamma[i] + beta[i]
        }
        return out
    }

    fun silu(x: Nd): Nd = x.map { it / (1 + exp(-it)) }

    /**
     * GELU in the tanh approximation (PyTorch's approximate="tanh"), which is what ggml_gelu computes: exactly on
     * Vulkan, and on the CPU through a table of its values at every f16 input (input and output rounded to f16).
     */
    fun gelu(x: Nd): Nd = x.map(::gelu)

    private fun gelu(x: Double): Double = 0.5 * x * (1 + tanh(sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))

    /** OpenAI CLIP's quick GELU: x·σ(1.702x) (ggml_gelu_quick; on the CPU also through an f16 table). */
    fun quickGelu(x: Nd): Nd = x.map { it / (1 + exp(-1.702 * it)) }

    /** diffusers GEGLU: proj(x).chunk(2, dim=-1) → (value, gate); value · gelu(gate). */
    fun geglu(x: Nd, w: Weights64): Nd {
        val proj = linear(x, w)
        val width = proj.ne(0) / 2
        val rows = proj.d.size / proj.ne(0)
        val out = Nd(proj.ne.copyOf().also { it[0] = width }, DoubleArray(rows * width))
        for (r in 0 until rows) for (i in 0 until width) {
            out.d[r * width + i] = proj.d[r * 2 * width + i] * gelu(proj.d[r * 2 * width + width + i])
        }
        return out
    }

    /** Softmax of [values] in place. */
    fun softmaxInPlace(values: DoubleArray) {
        val m = values.max()
        var s = 0.0
        for (i in values.indices) {
            values[i] = exp(values[i] - m)
            s += values[i]
        }
        for (i in values.indices) values[i] /= s
    }

    /**
     * Multi-head scaled dot-product attention as PyTorch models split heads ("b t (h d) -> b h t d": channel
     * h·d + j is element j of head h). q [C, Tq, N], k and v [C, Tk, N]; [causal] lets query t see keys 0..t.
     */
    fun attention(q: Nd, k: Nd, v: Nd, heads: Int, causal: Boolean = false): Nd {
        val c = q.ne(0)
        val tq = q.ne(1)
        val tk = k.ne(1)
        val n = q.ne(2)
        require(c % heads == 0 && k.ne(0) == c && v.ne(0) == c && v.ne(1) == tk && k.ne(2) == n && v.ne(2) == n) {
            "attention shapes do not fit: q ${q.ne.toList()}, k ${k.ne.toList()}, v ${v.ne.toList()}, $heads heads"
        }
        val d = c / heads
        val scale = 1.0 / sqrt(d.toDouble())
        val out = Nd(c, tq, n)
        val p = DoubleArray(tk)
        for (b in 0 until n) for (hd in 0 until heads) for (i in 0 until tq) {
            val visible = if (causal) minOf(i + 1, tk) else tk
            val scores = p.copyOf(visible)
            for (j in 0 until visible) {
                var s = 0.0
                for (e in 0 until d) s += q.d[hd * d + e + c * (i + tq * b)] * k.d[hd * d + e + c * (j + tk * b)]
                scores[j] = s * scale
            }
            softmaxInPlace(scores)
            for (e in 0 until d) {
                var s = 0.0
                for (j in 0 until visible) s += scores[j] * v.d[hd * d + e + c * (j + tk * b)]
                out.d[hd * d + e + c * (i + tq * b)] = s
            }
        }
        return out
    }

    /**
     * LDM's timestep_embedding (diffusers' flip_sin_to_cos=True, shift 0): for i < dim/2, with
     * f = exp(−ln(maxPeriod)·i/(dim/2)), element i is cos(t·f) and element dim/2 + i is sin(t·f). Result [dim, N].
     */
    fun timestepEmbedding(timesteps: DoubleArray, dim: Int, maxPeriod: Int = 10000): Nd {
        val half = dim / 2
        val out = Nd(dim, timesteps.size)
        for ((b, t) in timesteps.withIndex()) for (i in 0 until half) {
            val arg = t * exp(-ln(maxPeriod.toDouble()) * i / half)
            out.d[b * dim + i] = cos(arg)
            out.d[b * dim + half + i] = sin(arg)
        }
        return out
    }

    private fun dims4(x: Nd) = intArrayOf(x.ne(0), x.ne(1), x.ne(2), x.ne(3))
}
