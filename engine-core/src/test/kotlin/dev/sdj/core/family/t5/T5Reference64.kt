package dev.sdj.core.family.t5

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.ggml.GgmlType
import java.util.Random
import kotlin.math.abs
import kotlin.math.ln
import kotlin.math.min
import kotlin.math.sqrt

/**
 * A T5 v1.1 encoder in float64, written from Hugging Face's T5EncoderModel (T5LayerNorm, T5Attention with
 * has_relative_attention_bias on block 0 only, T5DenseGatedActDense with gelu_new), and random weights for one in
 * Hugging Face naming. Weights are in ggml order: linear [in, out], the bias table [heads, buckets].
 */
object T5Reference64 {
    private const val OWN_TABLE = "layer.0.SelfAttention.relative_attention_bias.weight"
    const val BIAS_TABLE = "encoder.block.0.$OWN_TABLE"

    /** A tiny T5 shaped as the real ones, so each dimension is read from a different tensor. */
    class Shape(val model: Int, val heads: Int, val headSize: Int, val feedForward: Int, val layers: Int, val vocabulary: Int,
                val buckets: Int = 32) {
        val inner get() = heads * headSize
    }

    /**
     * Random weights: embeddings N(0, 1), norm scales 1 + N(0, 0.1²) (or exactly 1 with [unitNorms]), projections
     * fan-in scaled unless [ffInStd] overrides wi_0 and wi_1, the bias table N(0, 2²) so that it moves the softmax as
     * much as the q·k scores do; wo is stored as [woType].
     */
    fun weights(w: RandomWeights, s: Shape, woType: GgmlType = GgmlType.F32, ffInStd: Double? = null, unitNorms: Boolean = false,
                tablePerBlock: Boolean = false, embedding: String = "shared.weight"): RandomWeights {
        fun norm(name: String) = w.set(name, if (unitNorms) Nd(s.model).map { 1.0 } else Nd.random(Random(name.hashCode().toLong()), 0.1, s.model).map { 1 + it })
        w.add(embedding, s.model, s.vocabulary, std = 1.0)
        for (i in 0 until s.layers) {
            val b = "encoder.block.$i"
            if (i == 0 || tablePerBlock) w.add("$b.$OWN_TABLE", s.heads, s.buckets, std = 2.0)
            norm("$b.layer.0.layer_norm.weight")
            for (p in listOf("q", "k", "v")) w.add("$b.layer.0.SelfAttention.$p.weight", s.model, s.inner)
            w.add("$b.layer.0.SelfAttention.o.weight", s.inner, s.model)
            norm("$b.layer.1.layer_norm.weight")
            for (p in listOf("wi_0", "wi_1")) {
                if (ffInStd == null) w.add("$b.layer.1.DenseReluDense.$p.weight", s.model, s.feedForward)
                else w.add("$b.layer.1.DenseReluDense.$p.weight", s.model, s.feedForward, std = ffInStd)
            }
            w.add("$b.layer.1.DenseReluDense.wo.weight", s.feedForward, s.model, type = woType)
        }
        norm("encoder.final_layer_norm.weight")
        return w
    }

    /** Hugging Face's T5Attention._relative_position_bucket, bidirectional, in float64. */
    fun bucket(relative: Int, buckets: Int, maxDistance: Int = 128): Int {
        val half = buckets / 2
        var result = if (relative > 0) half else 0
        val n = abs(relative)
        val maxExact = half / 2
        result += if (n < maxExact) n
        else min(maxExact + (ln(n.toDouble() / maxExact) / ln(maxDistance.toDouble() / maxExact) * (half - maxExact)).toInt(), half - 1)
        return result
    }

    /** T5LayerNorm: x · rsqrt(mean(x²) + ε) · weight over dimension 0. */
    fun rmsNorm(x: Nd, weight: Nd, eps: Double = 1e-6): Nd {
        val c = x.ne(0)
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            var sq = 0.0
            for (i in 0 until c) sq += x.d[r * c + i] * x.d[r * c + i]
            val inv = 1 / sqrt(sq / c + eps)
            for (i in 0 until c) out.d[r * c + i] = x.d[r * c + i] * inv * weight.d[i]
        }
        return out
    }

    /** Self-attention without 1/√d, plus table[head, bucket(key − query)] on every logit. x is [inner, T, 1] per q, k, v. */
    fun attention(q: Nd, k: Nd, v: Nd, heads: Int, table: Nd): Nd {
        val c = q.ne(0)
        val t = q.ne(1)
        val d = c / heads
        val buckets = table.ne(1)
        val out = Nd(c, t, 1)
        for (h in 0 until heads) for (i in 0 until t) {
            val p = DoubleArray(t) { j ->
                var s = 0.0
                for (e in 0 until d) s += q.d[h * d + e + c * i] * k.d[h * d + e + c * j]
                s + table.d[h + heads * bucket(j - i, buckets)]
            }
            R.softmaxInPlace(p)
            for (e in 0 until d) {
                var s = 0.0
                for (j in 0 until t) s += p[j] * v.d[h * d + e + c * j]
                out.d[h * d + e + c * i] = s
            }
        }
        return out
    }

    /** T5Block of the encoder: `encoder.block.N` weights in [w], block 0's bias [table]. */
    fun block(w: Weights64, x: Nd, heads: Int, table: Nd): Nd {
        val h = x + selfAttention(w, x, heads, table)
        return h + R.linear(gatedProduct(w, h), w.get("layer.1.DenseReluDense.wo.weight"), null)
    }

    private fun selfAttention(w: Weights64, x: Nd, heads: Int, table: Nd): Nd {
        val n = rmsNorm(x, w.get("layer.0.layer_norm.weight"))
        val (q, k, v) = listOf("q", "k", "v").map { R.linear(n, w.get("layer.0.SelfAttention.$it.weight"), null) }
        return R.linear(attention(q, k, v, heads, table), w.get("layer.0.SelfAttention.o.weight"), null)
    }

    /** gelu_new(wi_0·m) ⊙ (wi_1·m) for the normalised [h]: what wo multiplies. */
    private fun gatedProduct(w: Weights64, h: Nd): Nd {
        val m = rmsNorm(h, w.get("layer.1.layer_norm.weight"))
        val gate = R.gelu(R.linear(m, w.get("layer.1.DenseReluDense.wi_0.weight"), null))
        val up = R.linear(m, w.get("layer.1.DenseReluDense.wi_1.weight"), null)
        return Nd(gate.ne.copyOf(), DoubleArray(gate.d.size) { gate.d[it] * up.d[it] })
    }

    /** The largest |element| wo's input reaches in [block] over [x]. */
    fun largestGatedProduct(w: Weights64, x: Nd, table: Nd, heads: Int): Double =
        gatedProduct(w, x + selfAttention(w, x, heads, table)).d.maxOf { abs(it) }

    /**
     * T5EncoderModel's last_hidden_state for [ids], [model, T, 1]; no attention mask, as Flux's pipelines run it. A
     * block without a table reuses the previous block's bias (T5 v1.1), one with a table uses its own (UMT5).
     */
    fun encode(w: Weights64, ids: IntArray): Nd {
        val shared = w.get(if (w.has("shared.weight")) "shared.weight" else "encoder.embed_tokens.weight")
        val model = shared.ne(0)
        var x = Nd(model, ids.size, 1)
        for ((t, id) in ids.withIndex()) System.arraycopy(shared.d, model * id, x.d, model * t, model)
        var table = w.get(BIAS_TABLE)
        var i = 0
        while (w.has("encoder.block.$i.layer.0.layer_norm.weight")) {
            val b = w.at("encoder.block.${i++}")
            if (b.has(OWN_TABLE)) table = b.get(OWN_TABLE)
            x = block(b, x, table.ne(0), table)
        }
        return rmsNorm(x, w.get("encoder.final_layer_norm.weight"))
    }
}
