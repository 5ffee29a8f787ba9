package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import java.util.Random
import kotlin.math.exp
import kotlin.math.sqrt

/**
 * LTX-2's audio-video DiT in float64, written from the definitions of Lightricks' ltx_core (LTXModel with
 * BasicAVTransformerBlock, AdaLayerNormSingle, Attention with q/k RMS norms, split RoPE and per-head gates, tanh-GELU
 * FeedForward) with the constants stable-diffusion.cpp's LTXAV uses (σ × 1000 for the stream and prompt AdaLN, σ itself
 * for the cross-modal ones; eps 1e-6, q/k eps 1e-5). The RoPE tables are taken as given ([Ltx2DitRope]'s, checked
 * against their formula separately). Sequences are [C, T] in ggml order; linear weights [in, out].
 */
object Ltx2DitReference64 {
    private const val EPS = 1e-6
    private const val QK_EPS = 1e-5

    /**
     * [tiny]'s tensors as random weights: linear weights fan-in scaled, vectors N(0, 0.1²), q/k norm weights
     * 1 + N(0, 0.1²) (a weight near 0 would hide q/k mistakes), modulation tables N(0, 0.3²) so every row moves
     * the streams visibly.
     */
    fun weights(seed: Long, tiny: TinyLtx2Dit = TinyLtx2Dit()): RandomWeights {
        val w = RandomWeights(seed)
        for (e in tiny.tensors) {
            val ne = e.torchShape.reversed().map { it.toInt() }.toIntArray()
            when {
                e.isNormScale -> w.set(e.name, Nd.random(Random(e.name.hashCode().toLong() + seed), 0.1, *ne).map { 1 + it })
                e.name.contains("scale_shift_table") -> w.add(e.name, *ne, std = 0.3)
                else -> w.add(e.name, *ne)
            }
        }
        return w
    }

    /** The RoPE tables as float64 arrays in [Ltx2DitRope]'s layout. */
    class Tables(val video: FloatArray, val audio: FloatArray, val videoTime: FloatArray)

    /**
     * The AdaLN outputs (rows flattened [width × n]) and the two timestep embeddings; the video's [width × n, T] and
     * [width, T] when its tokens have timesteps of their own.
     */
    class Modulations(val video: Nd, val audio: Nd, val videoPrompt: Nd?, val audioPrompt: Nd?, val videoCross: Nd, val audioCross: Nd,
                      val videoGate: Nd, val audioGate: Nd, val videoEmbedded: Nd, val audioEmbedded: Nd)

    /** AdaLayerNormSingle at timesteps [t] (a column each): (linear(silu(e)), e), e = linear_2(silu(linear_1(sinusoid(t)))). */
    fun adaln(w: Weights64, vararg t: Double): Pair<Nd, Nd> {
        val e = w.at("emb.timestep_embedder")
        val embedded = R.linear(R.silu(R.linear(R.timestepEmbedding(t, 256), e.at("linear_1"))), e.at("linear_2"))
        return R.linear(R.silu(embedded), w.at("linear")) to embedded
    }

    /** With [videoSigmas] the video's AdaLN at each video token's σ, as sd.cpp's image-to-video; everything else at [sigma]. */
    fun modulations(w: Weights64, sigma: Double, crossAdaln: Boolean, videoSigmas: DoubleArray? = null): Modulations {
        val video = adaln(w.at("adaln_single"), *(videoSigmas ?: doubleArrayOf(sigma)).map { it * 1000 }.toDoubleArray())
        val audio = adaln(w.at("audio_adaln_single"), sigma * 1000)
        return Modulations(video.first, audio.first,
            if (crossAdaln) adaln(w.at("prompt_adaln_single"), sigma * 1000).first else null,
            if (crossAdaln) adaln(w.at("audio_prompt_adaln_single"), sigma * 1000).first else null,
            adaln(w.at("av_ca_video_scale_shift_adaln_single"), sigma).first, adaln(w.at("av_ca_audio_scale_shift_adaln_single"), sigma).first,
            adaln(w.at("av_ca_a2v_gate_adaln_single"), sigma).first, adaln(w.at("av_ca_v2a_gate_adaln_single"), sigma).first,
            video.second, audio.second)
    }

    /**
     * Row [k] of [table] [width, n] plus chunk [k] − [from] of the AdaLN output [modulation]: [width] values, or
     * [width × T] (token after token) when the modulation has a column per token.
     */
    fun row(table: Nd, modulation: Nd, k: Int, from: Int = 0): DoubleArray {
        val width = table.ne(0)
        val column = modulation.ne(0)
        return DoubleArray(width * modulation.d.size / column) { i ->
            table.d[i % width + width * k] + modulation.d[i % width + width * (k - from) + column * (i / width)]
        }
    }

    /** x·(1 + scale) + shift, the same [scale] and [shift] for every token or one each (token after token). */
    fun modulate(x: Nd, shift: DoubleArray, scale: DoubleArray): Nd =
        Nd(x.ne.copyOf(), DoubleArray(x.d.size) { x.d[it] * (1 + scale[it % scale.size]) + shift[it % shift.size] })

    /** x times [gate] per channel, the same for every token or one each. */
    fun gated(x: Nd, gate: DoubleArray): Nd = Nd(x.ne.copyOf(), DoubleArray(x.d.size) { x.d[it] * gate[it % gate.size] })

    /** x + y element by element, in x's shape (the reference's attention keeps a trailing batch dimension). */
    private fun sum(x: Nd, y: Nd): Nd {
        require(x.d.size == y.d.size) { "shapes ${x.ne.toList()} and ${y.ne.toList()} differ" }
        return Nd(x.ne.copyOf(), DoubleArray(x.d.size) { x.d[it] + y.d[it] })
    }

    fun rms(x: Nd, eps: Double = EPS, weight: Nd? = null): Nd = Ltx2Reference64.rmsNorm(x, eps, weight)

    /** LayerNorm over dimension 0 without weights. */
    fun layerNorm(x: Nd): Nd {
        val c = x.ne(0)
        val out = Nd(x.ne.copyOf(), DoubleArray(x.d.size))
        for (r in 0 until x.d.size / c) {
            val mean = (0 until c).sumOf { x.d[r * c + it] } / c
            val variance = (0 until c).sumOf { (x.d[r * c + it] - mean).let { d -> d * d } } / c
            for (i in 0 until c) out.d[r * c + i] = (x.d[r * c + i] - mean) / sqrt(variance + EPS)
        }
        return out
    }

    /** Element j of each head rotated with element j + d/2 by the angle whose cos/sin [table] holds for (head, j, token). */
    fun rope(x: Nd, table: FloatArray, heads: Int): Nd {
        val width = x.ne(0)
        val tokens = x.ne(1)
        val half = width / heads / 2
        val plane = width / 2 * tokens
        require(table.size == 2 * plane) { "a table of ${table.size} values for $tokens tokens of $width" }
        val out = Nd(x.ne.copyOf(), x.d.copyOf())
        for (p in 0 until tokens) for (h in 0 until heads) for (j in 0 until half) {
            val i = h * half + j + width / 2 * p
            val c = table[i].toDouble()
            val s = table[i + plane].toDouble()
            val a = x.d[h * 2 * half + j + width * p]
            val b = x.d[h * 2 * half + half + j + width * p]
            out.d[h * 2 * half + j + width * p] = a * c - b * s
            out.d[h * 2 * half + half + j + width * p] = b * c + a * s
        }
        return out
    }

    /** One attention: q from [x], k, v from [context] (x when null), RoPE when tables are given, gates from x. */
    fun attention(w: Weights64, x: Nd, context: Nd?, heads: Int, qTable: FloatArray?, kTable: FloatArray?): Nd {
        val kv = context ?: x
        var q = rms(R.linear(x, w.at("to_q")), QK_EPS, w.get("q_norm.weight"))
        var k = rms(R.linear(kv, w.at("to_k")), QK_EPS, w.get("k_norm.weight"))
        if (qTable != null && kTable != null) {
            q = rope(q, qTable, heads)
            k = rope(k, kTable, heads)
        }
        val out = R.attention(q, k, R.linear(kv, w.at("to_v")), heads)
        if (w.has("to_gate_logits.weight")) {
            val gates = R.linear(x, w.at("to_gate_logits")).map { 2 / (1 + exp(-it)) }
            val width = out.ne(0)
            for (p in 0 until out.ne(1)) for (c in 0 until width) out.d[c + width * p] *= gates.d[c / (width / heads) + heads * p]
        }
        return R.linear(out, w.at("to_out.0"))
    }

    private fun feedForward(w: Weights64, x: Nd): Nd = R.linear(R.gelu(R.linear(x, w.at("net.0.proj"))), w.at("net.2"))

    /** One BasicAVTransformerBlock: the streams after it, video then audio. */
    fun block(w: Weights64, video: Nd, audio: Nd, videoContext: Nd, audioContext: Nd, m: Modulations, t: Tables, d: Ltx2DitDimensions): Pair<Nd, Nd> {
        val vt = w.get("scale_shift_table")
        val at = w.get("audio_scale_shift_table")
        fun vr(k: Int) = row(vt, m.video, k)
        fun ar(k: Int) = row(at, m.audio, k)
        var v = video
        var a = audio
        v = sum(v, gated(attention(w.at("attn1"), modulate(rms(v), vr(0), vr(1)), null, d.videoHeads, t.video, t.video), vr(2)))
        v = sum(v, text(w, "", v, videoContext, m.videoPrompt, ::vr, d.videoHeads))
        a = sum(a, gated(attention(w.at("audio_attn1"), modulate(rms(a), ar(0), ar(1)), null, d.audioHeads, t.audio, t.audio), ar(2)))
        a = sum(a, text(w, "audio_", a, audioContext, m.audioPrompt, ::ar, d.audioHeads))

        val vn = rms(v)
        val an = rms(a)
        val vc = w.get("scale_shift_table_a2v_ca_video")
        val ac = w.get("scale_shift_table_a2v_ca_audio")
        // (scale, shift) pairs: rows 0, 1 audio → video; rows 2, 3 video → audio; row 4 the gate with its own module
        val toVideo = attention(w.at("audio_to_video_attn"), modulate(vn, row(vc, m.videoCross, 1), row(vc, m.videoCross, 0)),
            modulate(an, row(ac, m.audioCross, 1), row(ac, m.audioCross, 0)), d.audioHeads, t.videoTime, t.audio)
        val toAudio = attention(w.at("video_to_audio_attn"), modulate(an, row(ac, m.audioCross, 3), row(ac, m.audioCross, 2)),
            modulate(vn, row(vc, m.videoCross, 3), row(vc, m.videoCross, 2)), d.audioHeads, t.audio, t.videoTime)
        v = sum(v, gated(toVideo, row(vc, m.videoGate, 4, from = 4)))
        a = sum(a, gated(toAudio, row(ac, m.audioGate, 4, from = 4)))

        a = sum(a, gated(feedForward(w.at("audio_ff"), modulate(rms(a), ar(3), ar(4))), ar(5)))
        v = sum(v, gated(feedForward(w.at("ff"), modulate(rms(v), vr(3), vr(4))), vr(5)))
        return v to a
    }

    private fun text(w: Weights64, prefix: String, x: Nd, context: Nd, prompt: Nd?, r: (Int) -> DoubleArray, heads: Int): Nd {
        val attention = w.at("${prefix}attn2")
        if (prompt == null) return attention(attention, rms(x), context, heads, null, null)
        val p = w.get("${prefix}prompt_scale_shift_table")
        val out = attention(attention, modulate(rms(x), r(6), r(7)), modulate(context, row(p, prompt, 0), row(p, prompt, 1)), heads, null, null)
        return gated(out, r(8))
    }

    /**
     * The whole DiT: video [W, H, F, 128] and audio [16, L, 8] latents, σ, the joined context [video + audio width, S];
     * the result flat, the video velocity [W, H, F, 128] then the audio's [16, L, 8].
     */
    fun dit(w: Weights64, video: Nd, audio: Nd, sigma: Double, context: Nd, t: Tables, d: Ltx2DitDimensions, videoSigmas: DoubleArray? = null): Nd {
        val cells = video.ne(0) * video.ne(1) * video.ne(2)
        val length = audio.ne(1)
        val vTokens = Nd(128, cells)
        for (p in 0 until cells) for (c in 0 until 128) vTokens.d[c + 128 * p] = video.d[p + cells * c]
        val aTokens = Nd(128, length)
        for (p in 0 until length) for (ch in 0 until 8) for (f in 0 until 16) aTokens.d[f + 16 * ch + 128 * p] = audio.d[f + 16 * (p + length * ch)]
        val s = context.ne(1)
        val vc = Nd(d.videoContext.toInt(), s)
        val ac = Nd(d.audioContext.toInt(), s)
        for (p in 0 until s) {
            for (c in 0 until vc.ne(0)) vc.d[c + vc.ne(0) * p] = context.d[c + context.ne(0) * p]
            for (c in 0 until ac.ne(0)) ac.d[c + ac.ne(0) * p] = context.d[vc.ne(0) + c + context.ne(0) * p]
        }
        val m = modulations(w, sigma, d.crossAttentionAdaln, videoSigmas)
        var v = R.linear(vTokens, w.at("patchify_proj"))
        var a = R.linear(aTokens, w.at("audio_patchify_proj"))
        for (i in 0 until d.blocks) {
            val out = block(w.at("transformer_blocks.$i"), v, a, vc, ac, m, t, d)
            v = out.first
            a = out.second
        }
        // the output layers' (shift, scale): rows 0 and 1 of the table, each plus the timestep embedding (one per token or for all)
        fun head(prefix: String, x: Nd, embedded: Nd): Nd {
            val table = w.get("${prefix}scale_shift_table")
            val c = x.ne(0)
            val shift = DoubleArray(embedded.d.size) { table.d[it % c] + embedded.d[it] }
            val scale = DoubleArray(embedded.d.size) { table.d[it % c + c] + embedded.d[it] }
            return R.linear(modulate(layerNorm(x), shift, scale), w.at("${prefix}proj_out"))
        }
        val vo = head("", v, m.videoEmbedded)
        val ao = head("audio_", a, m.audioEmbedded)
        val out = Nd(128 * cells + 128 * length)
        for (p in 0 until cells) for (c in 0 until 128) out.d[p + cells * c] = vo.d[c + 128 * p]
        for (p in 0 until length) for (ch in 0 until 8) for (f in 0 until 16) out.d[128 * cells + f + 16 * (p + length * ch)] = ao.d[f + 16 * ch + 128 * p]
        return out
    }
}
