package dev.sdj.core.family.flux

import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import kotlin.math.cos
import kotlin.math.pow
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * The Flux.1 DiT in float64, written from Black Forest Labs' reference (flux/modules/layers.py, flux/model.py,
 * flux/math.py) over its parameter names, not from the graph code: fused tensors are split here by slicing rows
 * of the float64 copies, RoPE is the 2×2 rotation BFL builds per position, patchify is the einops rearrange spelled
 * out. Tokens are [C, T, N] as everywhere in the tests; N = 1.
 */
object FluxReference64 {
    const val EPS = 1e-6

    class Config(val hidden: Int, val headDim: Int, val textTokens: Int) {
        val heads = hidden / headDim
    }

    /** BFL's EmbedND: ids (0, 0, 0) for text, (0, row, col) for patches; per axis ω_m = θ^(−2m/dim); cos and sin [d/2, T]. */
    fun ropeAngles(headDim: Int, axes: IntArray, latentW: Int, latentH: Int, textTokens: Int): Array<DoubleArray> {
        val gridW = latentW / 2
        val tokens = textTokens + gridW * (latentH / 2)
        val angles = Array(tokens) { DoubleArray(headDim / 2) }
        for (t in textTokens until tokens) {
            val ids = intArrayOf(0, (t - textTokens) / gridW, (t - textTokens) % gridW)
            var pair = 0
            for (a in axes.indices) {
                val dim = axes[a]
                for (m in 0 until dim / 2) angles[t][pair++] = ids[a] * 10000.0.pow(-(2.0 * m) / dim)
            }
            check(pair == headDim / 2)
        }
        return angles
    }

    /** apply_rope: each adjacent channel pair (2m, 2m+1) of every head rotated by its angle. */
    fun rope(x: Nd, angles: Array<DoubleArray>, heads: Int): Nd {
        val c = x.ne(0)
        val d = c / heads
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (t in 0 until x.ne(1)) for (h in 0 until heads) for (m in 0 until d / 2) {
            val i = h * d + 2 * m + c * t
            val a = angles[t][m]
            out.d[i] = cos(a) * x.d[i] - sin(a) * x.d[i + 1]
            out.d[i + 1] = sin(a) * x.d[i] + cos(a) * x.d[i + 1]
        }
        return out
    }

    fun rows(w: Weights64, from: Int, count: Int): Weights64 = Weights64 { name ->
        val t = w.get(name)
        if (name == "bias") Nd(intArrayOf(count), t.d.copyOfRange(from, from + count))
        else Nd(intArrayOf(t.ne(0), count), t.d.copyOfRange(from * t.ne(0), (from + count) * t.ne(0)))
    }

    fun chunk(w: Weights64, index: Int, of: Int): Weights64 = rows(w, index * w.get("weight").ne(1) / of, w.get("weight").ne(1) / of)

    /** nn.LayerNorm(elementwise_affine=False, eps=1e-6). */
    fun layerNorm(x: Nd): Nd {
        val c = x.ne(0)
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            val row = x.d.copyOfRange(r * c, r * c + c)
            val mean = row.average()
            val inv = 1 / sqrt(row.sumOf { (it - mean) * (it - mean) } / c + EPS)
            for (i in 0 until c) out.d[r * c + i] = (row[i] - mean) * inv
        }
        return out
    }

    /** QKNorm's RMSNorm over each head's channels, times the gain. */
    fun headRmsNorm(x: Nd, gain: Nd, headDim: Int): Nd {
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / headDim) {
            val s = r * headDim
            var ms = 0.0
            for (i in 0 until headDim) ms += x.d[s + i] * x.d[s + i]
            val inv = 1 / sqrt(ms / headDim + EPS)
            for (i in 0 until headDim) out.d[s + i] = x.d[s + i] * inv * gain.d[i]
        }
        return out
    }

    /** (1 + scale)·x + shift with per-channel vectors [C, 1]. */
    fun modulate(x: Nd, shift: Nd, scale: Nd): Nd {
        val c = x.ne(0)
        return Nd(x.ne.copyOf(), DoubleArray(x.d.size) { (1 + scale.d[it % c]) * x.d[it] + shift.d[it % c] })
    }

    fun gate(x: Nd, gate: Nd): Nd = Nd(x.ne.copyOf(), DoubleArray(x.d.size) { x.d[it] * gate.d[it % x.ne(0)] })

    /** Tokens [from, from + count) of [C, T, 1]. */
    fun tokens(x: Nd, from: Int, count: Int): Nd = Nd(intArrayOf(x.ne(0), count, 1), x.d.copyOfRange(from * x.ne(0), (from + count) * x.ne(0)))

    /** Concatenation along tokens (torch.cat(dim=1) on [B, L, C]) or channels (dim=-1). */
    fun catTokens(a: Nd, b: Nd): Nd = Nd(intArrayOf(a.ne(0), a.ne(1) + b.ne(1), 1), a.d + b.d)

    fun catChannels(a: Nd, b: Nd): Nd {
        val t = a.ne(1)
        val out = Nd(a.ne(0) + b.ne(0), t, 1)
        for (i in 0 until t) {
            System.arraycopy(a.d, i * a.ne(0), out.d, i * out.ne(0), a.ne(0))
            System.arraycopy(b.d, i * b.ne(0), out.d, i * out.ne(0) + a.ne(0), b.ne(0))
        }
        return out
    }

    private fun mlpEmbed(w: Weights64, x: Nd): Nd = R.linear(R.silu(R.linear(x, w.at("in_layer"))), w.at("out_layer"))

    /** timestep_embedding(t · 1000, 256): cos then sin, frequencies exp(−ln(10000)·i/128). */
    fun vector(w: Weights64, t: Double, y: Nd, guidance: Double?): Nd {
        var vec = mlpEmbed(w.at("time_in"), R.timestepEmbedding(doubleArrayOf(1000 * t), 256))
        if (guidance != null) vec = vec + mlpEmbed(w.at("guidance_in"), R.timestepEmbedding(doubleArrayOf(1000 * guidance), 256))
        return vec + mlpEmbed(w.at("vector_in"), y)
    }

    private fun qkv(w: Weights64, x: Nd, hidden: Int, headDim: Int, norm: Weights64): Triple<Nd, Nd, Nd> {
        val q = headRmsNorm(R.linear(x, rows(w, 0, hidden)), norm.get("query_norm.scale"), headDim)
        val k = headRmsNorm(R.linear(x, rows(w, hidden, hidden)), norm.get("key_norm.scale"), headDim)
        return Triple(q, k, R.linear(x, rows(w, 2 * hidden, hidden)))
    }

    /** DoubleStreamBlock.forward: (img, txt) after the block. */
    fun doubleBlock(w: Weights64, img: Nd, txt: Nd, vec: Nd, angles: Array<DoubleArray>, cfg: Config): Pair<Nd, Nd> {
        val c = R.silu(vec)
        val imgMod = List(6) { R.linear(c, chunk(w.at("img_mod.lin"), it, 6)) }
        val txtMod = List(6) { R.linear(c, chunk(w.at("txt_mod.lin"), it, 6)) }
        val (iq, ik, iv) = qkv(w.at("img_attn.qkv"), modulate(layerNorm(img), imgMod[0], imgMod[1]), cfg.hidden, cfg.headDim, w.at("img_attn.norm"))
        val (tq, tk, tv) = qkv(w.at("txt_attn.qkv"), modulate(layerNorm(txt), txtMod[0], txtMod[1]), cfg.hidden, cfg.headDim, w.at("txt_attn.norm"))
        val attn = R.attention(rope(catTokens(tq, iq), angles, cfg.heads), rope(catTokens(tk, ik), angles, cfg.heads), catTokens(tv, iv), cfg.heads)
        val tt = txt.ne(1)
        fun stream(x: Nd, a: Nd, mod: List<Nd>, s: String): Nd {
            val h = x + gate(R.linear(a, w.at("${s}_attn.proj")), mod[2])
            val mlp = R.linear(R.gelu(R.linear(modulate(layerNorm(h), mod[3], mod[4]), w.at("${s}_mlp.0"))), w.at("${s}_mlp.2"))
            return h + gate(mlp, mod[5])
        }
        return stream(img, tokens(attn, tt, img.ne(1)), imgMod, "img") to stream(txt, tokens(attn, 0, tt), txtMod, "txt")
    }

    /** SingleStreamBlock.forward over the joint sequence. */
    fun singleBlock(w: Weights64, x: Nd, vec: Nd, angles: Array<DoubleArray>, cfg: Config): Nd {
        val c = R.silu(vec)
        val (shift, scale, g) = List(3) { R.linear(c, chunk(w.at("modulation.lin"), it, 3)) }
        val h = modulate(layerNorm(x), shift, scale)
        val linear1 = w.at("linear1")
        val (q, k, v) = qkv(linear1, h, cfg.hidden, cfg.headDim, w.at("norm"))
        val mlpWidth = linear1.get("weight").ne(1) - 3 * cfg.hidden
        val mlp = R.gelu(R.linear(h, rows(linear1, 3 * cfg.hidden, mlpWidth)))
        val attn = R.attention(rope(q, angles, cfg.heads), rope(k, angles, cfg.heads), v, cfg.heads)
        return x + gate(R.linear(catChannels(attn, mlp), w.at("linear2")), g)
    }

    /** LastLayer: adaLN (shift, scale), then the linear to patch features. */
    fun finalLayer(w: Weights64, img: Nd, vec: Nd): Nd {
        val c = R.silu(vec)
        val m = w.at("adaLN_modulation.1")
        return R.linear(modulate(layerNorm(img), R.linear(c, chunk(m, 0, 2)), R.linear(c, chunk(m, 1, 2))), w.at("linear"))
    }

    /** rearrange(x, "b c (h ph) (w pw) -> b (h w) (c ph pw)", ph=2, pw=2) on x [W, H, C, 1]. */
    fun patchify(x: Nd): Nd {
        val (width, height, channels) = Triple(x.ne(0), x.ne(1), x.ne(2))
        val gw = width / 2
        val out = Nd(4 * channels, gw * (height / 2), 1)
        for (c in 0 until channels) for (row in 0 until height) for (col in 0 until width) {
            val token = (row / 2) * gw + col / 2
            val feature = c * 4 + (row % 2) * 2 + col % 2
            out.d[feature + 4 * channels * token] = x.d[col + width * (row + height * c)]
        }
        return out
    }

    fun unpatchify(tokens: Nd, width: Int, height: Int): Nd {
        val channels = tokens.ne(0) / 4
        val gw = width / 2
        val out = Nd(width, height, channels, 1)
        for (c in 0 until channels) for (row in 0 until height) for (col in 0 until width) {
            val token = (row / 2) * gw + col / 2
            out.d[col + width * (row + height * c)] = tokens.d[c * 4 + (row % 2) * 2 + col % 2 + 4 * channels * token]
        }
        return out
    }

    /** Flux.forward: the velocity for latent x [W, H, C, 1]. */
    fun model(w: Weights64, x: Nd, t: Double, context: Nd, y: Nd, guidance: Double?, axes: IntArray): Nd {
        val headDim = w.get("double_blocks.0.img_attn.norm.query_norm.scale").ne(0)
        val hidden = w.get("img_in.weight").ne(1)
        val cfg = Config(hidden, headDim, context.ne(1))
        val angles = ropeAngles(headDim, axes, x.ne(0), x.ne(1), context.ne(1))
        var img = R.linear(patchify(x), w.at("img_in"))
        val vec = vector(w, t, y, guidance)
        var txt = R.linear(context, w.at("txt_in"))
        var i = 0
        while (w.has("double_blocks.$i.img_mod.lin.weight")) {
            val (a, b) = doubleBlock(w.at("double_blocks.$i"), img, txt, vec, angles, cfg)
            img = a
            txt = b
            i++
        }
        var joint = catTokens(txt, img)
        i = 0
        while (w.has("single_blocks.$i.linear1.weight")) joint = singleBlock(w.at("single_blocks.${i++}"), joint, vec, angles, cfg)
        img = tokens(joint, txt.ne(1), img.ne(1))
        return unpatchify(finalLayer(w.at("final_layer"), img, vec), x.ne(0), x.ne(1))
    }
}
