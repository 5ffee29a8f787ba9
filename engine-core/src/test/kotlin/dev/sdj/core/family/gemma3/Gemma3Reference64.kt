package dev.sdj.core.family.gemma3

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.GgmlType
import java.util.Random
import kotlin.math.cos
import kotlin.math.pow
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * Gemma-3's text decoder in float64, written from Hugging Face's modeling_gemma3 (Gemma3RMSNorm, Gemma3Attention with
 * repeat_kv and rotate_half, Gemma3MLP with gelu_pytorch_tanh, Gemma3DecoderLayer's four norms, the scaled word
 * embedding, output_hidden_states) with the attention mask stable-diffusion.cpp builds for LTX-2 (padding keys and
 * later keys each add lowest/4, keys a window or more back −∞). Weights in llama.cpp names and ggml order, norm weights
 * stored as 1 + w as llama.cpp's GGUFs store them.
 */
object Gemma3Reference64 {
    const val EPS = 1e-6

    class Shape(val hidden: Int, val heads: Int, val kvHeads: Int, val headDim: Int, val feedForward: Int, val layers: Int, val vocabulary: Int)

    private val LAYER_NORMS = listOf("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm")

    /**
     * Random weights and their specs: the embedding N(0, 1/hidden) so that the scaled embedding is of unit size like
     * the branches it is added to, norm weights 1 + N(0, 0.1²) ([normOffset] subtracted: 1 for Hugging Face's layout),
     * projections fan-in scaled; the embedding and the projections stored as [type] (the reference reads them back as
     * stored), norm weights in f32 as llama.cpp's GGUFs keep them.
     */
    fun weights(w: RandomWeights, s: Shape, normOffset: Double = 0.0, type: GgmlType = GgmlType.F32): List<ParamSpec> {
        val specs = ArrayList<ParamSpec>()
        fun add(name: String, vararg ne: Int, std: Double? = null) {
            if (std == null) w.add(name, *ne, type = type) else w.add(name, *ne, type = type, std = std)
            specs.add(ParamSpec(name, type, ne.map { it.toLong() }))
        }
        fun norm(name: String, n: Int) {
            w.set(name, Nd.random(Random(name.hashCode().toLong()), 0.1, n).map { 1 + it - normOffset })
            specs.add(ParamSpec(name, GgmlType.F32, listOf(n.toLong())))
        }
        add(Gemma3Names.EMBEDDING, s.hidden, s.vocabulary, std = 1 / sqrt(s.hidden.toDouble()))
        for (i in 0 until s.layers) {
            val b = "blk.$i"
            norm("$b.attn_norm.weight", s.hidden)
            add("$b.attn_q.weight", s.hidden, s.heads * s.headDim)
            add("$b.attn_k.weight", s.hidden, s.kvHeads * s.headDim)
            add("$b.attn_v.weight", s.hidden, s.kvHeads * s.headDim)
            norm("$b.attn_q_norm.weight", s.headDim)
            norm("$b.attn_k_norm.weight", s.headDim)
            add("$b.attn_output.weight", s.heads * s.headDim, s.hidden)
            norm("$b.post_attention_norm.weight", s.hidden)
            norm("$b.ffn_norm.weight", s.hidden)
            add("$b.ffn_gate.weight", s.hidden, s.feedForward)
            add("$b.ffn_up.weight", s.hidden, s.feedForward)
            add("$b.ffn_down.weight", s.feedForward, s.hidden)
            norm("$b.post_ffw_norm.weight", s.hidden)
        }
        norm(Gemma3Names.FINAL_NORM, s.hidden)
        return specs
    }

    /** Gemma3RMSNorm over dimension 0 with the stored weight 1 + w: x · rsqrt(mean(x²) + ε) · (1 + w). */
    fun rmsNorm(x: Nd, onePlusW: Nd): Nd {
        val c = x.ne(0)
        require(onePlusW.d.size == c) { "norm weight of ${onePlusW.d.size} for rows of $c" }
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            var sq = 0.0
            for (i in 0 until c) sq += x.d[r * c + i] * x.d[r * c + i]
            val inv = 1 / sqrt(sq / c + EPS)
            for (i in 0 until c) out.d[r * c + i] = x.d[r * c + i] * inv * onePlusW.d[i]
        }
        return out
    }

    /** HF's rotate_half RoPE on every head of x [headDim·heads, T]: inv_freq θ^(−2i/d), positions divided by [scale]. */
    fun rope(x: Nd, headDim: Int, theta: Double, scale: Double): Nd {
        val half = headDim / 2
        val c = x.ne(0)
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (t in 0 until x.ne(1)) for (h in 0 until c / headDim) for (i in 0 until half) {
            val angle = t / scale * theta.pow(-2.0 * i / headDim)
            val a = x.d[h * headDim + i + c * t]
            val b = x.d[h * headDim + half + i + c * t]
            out.d[h * headDim + i + c * t] = a * cos(angle) - b * sin(angle)
            out.d[h * headDim + half + i + c * t] = b * cos(angle) + a * sin(angle)
        }
        return out
    }

    /** sd.cpp's additive mask for query [q], key [k]; [window] 0 for global layers. */
    fun mask(q: Int, k: Int, padding: Int, window: Int): Double {
        if (window > 0 && q - k >= window) return Double.NEGATIVE_INFINITY
        val masked = (-Float.MAX_VALUE / 4).toDouble()
        return (if (k < padding) masked else 0.0) + (if (k > q) masked else 0.0)
    }

    /** Scaled dot-product attention of [heads] query heads over [kvHeads] shared key/value heads (repeat_kv), scale 1/√d. */
    fun attention(q: Nd, k: Nd, v: Nd, heads: Int, kvHeads: Int, headDim: Int, padding: Int, window: Int): Nd {
        val t = q.ne(1)
        val cq = heads * headDim
        val ckv = kvHeads * headDim
        val group = heads / kvHeads
        val out = Nd(cq, t, 1)
        for (h in 0 until heads) for (i in 0 until t) {
            val kv = h / group
            val p = DoubleArray(t) { j ->
                var s = 0.0
                for (e in 0 until headDim) s += q.d[h * headDim + e + cq * i] * k.d[kv * headDim + e + ckv * j]
                s / sqrt(headDim.toDouble()) + mask(i, j, padding, window)
            }
            R.softmaxInPlace(p)
            for (e in 0 until headDim) {
                var s = 0.0
                for (j in 0 until t) if (p[j] != 0.0) s += p[j] * v.d[kv * headDim + e + ckv * j]
                out.d[h * headDim + e + cq * i] = s
            }
        }
        return out
    }

    /** Gemma3DecoderLayer: `blk.N` weights in [w], x [hidden, T, 1]. */
    fun layer(w: Weights64, x: Nd, s: Shape, global: Boolean, padding: Int, window: Int): Nd {
        val (theta, scale) = if (global) Gemma3Architecture.GLOBAL_THETA to Gemma3Architecture.GLOBAL_POSITION_SCALE else Gemma3Architecture.LOCAL_THETA to 1.0
        val n = rmsNorm(x, w.get("attn_norm.weight"))
        fun headsNormed(name: String, norm: String, count: Int): Nd {
            val p = R.linear(n, w.get("$name.weight"), null)
            val perHead = rmsNorm(Nd(intArrayOf(s.headDim, count * p.ne(1)), p.d), w.get("$norm.weight"))
            return rope(Nd(p.ne.copyOf(), perHead.d), s.headDim, theta, scale)
        }
        val q = headsNormed("attn_q", "attn_q_norm", s.heads)
        val k = headsNormed("attn_k", "attn_k_norm", s.kvHeads)
        val v = R.linear(n, w.get("attn_v.weight"), null)
        val attended = R.linear(attention(q, k, v, s.heads, s.kvHeads, s.headDim, padding, if (global) 0 else window), w.get("attn_output.weight"), null)
        val h = x + rmsNorm(attended, w.get("post_attention_norm.weight"))
        val m = rmsNorm(h, w.get("ffn_norm.weight"))
        val gate = R.gelu(R.linear(m, w.get("ffn_gate.weight"), null))
        val up = R.linear(m, w.get("ffn_up.weight"), null)
        val product = Nd(gate.ne.copyOf(), DoubleArray(gate.d.size) { gate.d[it] * up.d[it] })
        return h + rmsNorm(R.linear(product, w.get("ffn_down.weight"), null), w.get("post_ffw_norm.weight"))
    }

    /** Every hidden state for [ids] (the first [padding] of them padding), stacked: [hidden, T, layers + 1]. */
    fun encode(w: Weights64, ids: IntArray, s: Shape, padding: Int, window: Int): Nd {
        val embedding = w.get(Gemma3Names.EMBEDDING)
        val t = ids.size
        val plane = s.hidden * t
        val out = Nd(s.hidden, t, s.layers + 1)
        var x = Nd(s.hidden, t, 1)
        for ((i, id) in ids.withIndex()) for (c in 0 until s.hidden) x.d[c + s.hidden * i] = embedding.d[c + s.hidden * id] * sqrt(s.hidden.toDouble())
        System.arraycopy(x.d, 0, out.d, 0, plane)
        for (l in 0 until s.layers) {
            x = layer(w.at("blk.$l"), x, s, Gemma3Architecture.isGlobal(l), padding, window)
            val state = if (l + 1 == s.layers) rmsNorm(x, w.get(Gemma3Names.FINAL_NORM)) else x
            System.arraycopy(state.d, 0, out.d, plane * (l + 1), plane)
        }
        return out
    }
}
