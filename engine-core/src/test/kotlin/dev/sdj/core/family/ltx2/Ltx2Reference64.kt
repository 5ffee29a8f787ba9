package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import java.util.Random
import kotlin.math.PI
import kotlin.math.cos
import kotlin.math.exp
import kotlin.math.pow
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * LTX-2.3's text path in float64, written from the definitions of Lightricks' ltx_core (FeatureExtractorV2,
 * Embeddings1DConnector with _replace_padded_with_learnable_registers, _BasicTransformerBlock1D, Attention with
 * split RoPE and per-head gates, FeedForward with tanh GELU) and the constants stable-diffusion.cpp uses (1024-token
 * minimum, RoPE θ 10 000 over positions / 4096 with the angle rounded to f32). Tensors in ggml order: token sequences
 * [C, T], linear weights [in, out], the stack [hidden, T, planes].
 */
object Ltx2Reference64 {
    /** Sizes of a tiny connector. */
    class Connector(val width: Int, val heads: Int, val blocks: Int, val registers: Int, val feedForward: Int = 4 * width)

    /**
     * Random weights for the DiT component: both aggregate projections over [hidden] × [planes] features and both
     * connectors. Norm weights 1 + N(0, 0.1²) (a weight near 0 would hide q/k mistakes), registers N(0, 1) like the
     * checkpoint's uniform(−1, 1) initialisation in size, projections fan-in scaled.
     */
    fun weights(w: RandomWeights, hidden: Int, planes: Int, video: Connector, audio: Connector) {
        w.add("${Ltx2TextArchitecture.VIDEO_AGGREGATE}.weight", hidden * planes, video.width)
        w.add("${Ltx2TextArchitecture.VIDEO_AGGREGATE}.bias", video.width)
        w.add("${Ltx2TextArchitecture.AUDIO_AGGREGATE}.weight", hidden * planes, audio.width)
        w.add("${Ltx2TextArchitecture.AUDIO_AGGREGATE}.bias", audio.width)
        connector(w, Ltx2TextArchitecture.VIDEO_CONNECTOR, video)
        connector(w, Ltx2TextArchitecture.AUDIO_CONNECTOR, audio)
    }

    fun connector(w: RandomWeights, prefix: String, s: Connector) {
        w.add("$prefix.learnable_registers", s.width, s.registers, std = 1.0)
        for (i in 0 until s.blocks) {
            val b = "$prefix.transformer_1d_blocks.$i"
            for (p in listOf("to_q", "to_k", "to_v", "to_out.0")) {
                w.add("$b.attn1.$p.weight", s.width, s.width)
                w.add("$b.attn1.$p.bias", s.width)
            }
            for (n in listOf("q_norm", "k_norm")) w.set("$b.attn1.$n.weight", Nd.random(Random("$b.$n".hashCode().toLong()), 0.1, s.width).map { 1 + it })
            w.add("$b.attn1.to_gate_logits.weight", s.width, s.heads)
            w.add("$b.attn1.to_gate_logits.bias", s.heads, std = 0.5)
            w.add("$b.ff.net.0.proj.weight", s.width, s.feedForward)
            w.add("$b.ff.net.0.proj.bias", s.feedForward)
            w.add("$b.ff.net.2.weight", s.feedForward, s.width)
            w.add("$b.ff.net.2.bias", s.width)
        }
    }

    /**
     * FeatureExtractorV2's normalisation of the last [valid] tokens of [stack] [hidden, T, planes]: each state of each
     * token times rsqrt(mean over hidden of x² + 1e-6), flattened as torch's reshape of [T, hidden, planes] does
     * (plane fastest). Result [hidden·planes, valid].
     */
    fun features(stack: Nd, valid: Int): Nd {
        val hidden = stack.ne(0)
        val tokens = stack.ne(1)
        val planes = stack.ne(2)
        val out = Nd(hidden * planes, valid)
        for (j in 0 until valid) {
            val t = tokens - valid + j
            for (l in 0 until planes) {
                var sq = 0.0
                for (d in 0 until hidden) sq += stack.d[d + hidden * (t + tokens * l)].let { it * it }
                val inv = 1 / sqrt(sq / hidden + Ltx2TextArchitecture.FEATURE_EPS)
                for (d in 0 until hidden) out.d[d * planes + l + hidden * planes * j] = stack.d[d + hidden * (t + tokens * l)] * inv
            }
        }
        return out
    }

    /** aggregate_embed(features · √(out / hidden)) for the projection [w]. */
    fun project(w: Weights64, features: Nd, hidden: Int): Nd {
        val out = w.get("weight").ne(1)
        return R.linear(features.map { it * sqrt(out.toDouble() / hidden) }, w)
    }

    /** Parameter-free RMS norm over dimension 0, times [weight] when given. */
    fun rmsNorm(x: Nd, eps: Double, weight: Nd? = null): Nd {
        val c = x.ne(0)
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            var sq = 0.0
            for (i in 0 until c) sq += x.d[r * c + i].let { it * it }
            val inv = 1 / sqrt(sq / c + eps)
            for (i in 0 until c) out.d[r * c + i] = x.d[r * c + i] * inv * (weight?.d?.get(i) ?: 1.0)
        }
        return out
    }

    /**
     * The split 1-D RoPE on x [width, T]: the width's frequencies θ^(i/(width/2 − 1))·π/2 in order, head h taking the
     * h-th run of headDim/2 of them, element j of a head rotated with element j + headDim/2 by the angle
     * f·(2p/4096 − 1), rounded to f32 as sd.cpp's table holds it.
     */
    fun rope(x: Nd, heads: Int): Nd {
        val width = x.ne(0)
        val d = width / heads
        val half = d / 2
        val count = width / 2
        val out = Nd(x.ne.copyOf(), x.d.copyOf())
        for (p in 0 until x.ne(1)) for (h in 0 until heads) for (j in 0 until half) {
            val f = Ltx2TextArchitecture.ROPE_THETA.pow((h * half + j).toDouble() / (count - 1)) * PI / 2
            val angle = (f * (2.0 * p / Ltx2TextArchitecture.ROPE_MAX_POSITION - 1)).toFloat().toDouble()
            val a = x.d[h * d + j + width * p]
            val b = x.d[h * d + half + j + width * p]
            out.d[h * d + j + width * p] = a * cos(angle) - b * sin(angle)
            out.d[h * d + half + j + width * p] = a * sin(angle) + b * cos(angle)
        }
        return out
    }

    /**
     * _replace_padded_with_learnable_registers for a left-padded prompt of [features] [width, n]: the registers tiled
     * over the whole sequence L (the smallest multiple of their count ≥ max(1024, n)), the prompt's tokens moved to
     * its start in place of the first n. Result [width, L, 1].
     */
    fun withRegisters(w: Weights64, features: Nd): Nd {
        val registers = w.get("learnable_registers")
        val width = registers.ne(0)
        val count = registers.ne(1)
        val n = features.ne(1)
        val length = (maxOf(Ltx2TextArchitecture.MIN_SEQUENCE, n) + count - 1) / count * count
        val out = Nd(width, length, 1)
        for (p in 0 until length) for (c in 0 until width) {
            out.d[c + width * p] = if (p < n) features.d[c + width * p] else registers.d[c + width * (p % count)]
        }
        return out
    }

    /** _BasicTransformerBlock1D with gated attention over x [width, L]. */
    fun block(w: Weights64, x: Nd, heads: Int): Nd {
        val m = rmsNorm(x, Ltx2TextArchitecture.BLOCK_EPS.toDouble())
        val a = w.at("attn1")
        fun qk(p: String, n: String) = rope(rmsNorm(R.linear(m, a.at(p)), Ltx2TextArchitecture.QK_EPS.toDouble(), a.get("$n.weight")), heads)
        val attended = R.attention(qk("to_q", "q_norm"), qk("to_k", "k_norm"), R.linear(m, a.at("to_v")), heads)
        val gates = R.linear(m, a.at("to_gate_logits")).map { 2 / (1 + exp(-it)) }
        val width = x.ne(0)
        val d = width / heads
        for (p in 0 until x.ne(1)) for (c in 0 until width) attended.d[c + width * p] *= gates.d[c / d + heads * p]
        val h = x + R.linear(attended, a.at("to_out.0"))
        val ff = R.linear(R.gelu(R.linear(rmsNorm(h, Ltx2TextArchitecture.BLOCK_EPS.toDouble()), w.at("ff.net.0.proj"))), w.at("ff.net.2"))
        return h + ff
    }

    /** Embeddings1DConnector over [features] [width, n]: registers, every block, the final RMS norm. Result [width, L]. */
    fun connect(w: Weights64, features: Nd, s: Connector): Nd {
        var x = withRegisters(w, features)
        for (i in 0 until s.blocks) x = block(w.at("transformer_1d_blocks.$i"), x, s.heads)
        return rmsNorm(x, Ltx2TextArchitecture.BLOCK_EPS.toDouble())
    }

    /** Both contexts joined along the width, video first: [video width + audio width, L]. */
    fun context(w: Weights64, stack: Nd, valid: Int, video: Connector, audio: Connector): Nd {
        val f = features(stack, valid)
        val hidden = stack.ne(0)
        val v = connect(w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR), project(w.at(Ltx2TextArchitecture.VIDEO_AGGREGATE), f, hidden), video)
        val a = connect(w.at(Ltx2TextArchitecture.AUDIO_CONNECTOR), project(w.at(Ltx2TextArchitecture.AUDIO_AGGREGATE), f, hidden), audio)
        val length = v.ne(1)
        val width = video.width + audio.width
        val out = Nd(width, length)
        for (p in 0 until length) {
            for (c in 0 until video.width) out.d[c + width * p] = v.d[c + video.width * p]
            for (c in 0 until audio.width) out.d[video.width + c + width * p] = a.d[c + audio.width * p]
        }
        return out
    }
}
