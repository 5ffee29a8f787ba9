package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2's audio-video DiT as stable-diffusion.cpp's LTXAV computes it (LTXAVModelBlock.forward,
 * BasicAVTransformerBlock.forward), over weights in the checkpoint's names without `model.diffusion_model.`.
 * Streams are [C, T, 1]; m(x; shift, scale) = x·(1 + scale) + shift; rms is a parameter-free RMS norm.
 *
 * Each block, with video v, audio a, the text contexts c_v, c_a and rows r_k = scale_shift_table[k] + adaln[k]:
 *
 *     v += r2 · attn1(m(rms v; r0, r1))                                   video self-attention, 3-D RoPE
 *     v += r8 · attn2(m(rms v; r6, r7), m(c_v; p0, p1))                   video text attention (p: prompt table + prompt_adaln)
 *     a += the same with the audio_ tables and attentions                  audio self-attention (time RoPE) and text attention
 *     v += g_v · audio_to_video_attn(m(rms v; sv1, sv0), m(rms a; sa1, sa0))  cross attention, time-only RoPE on both sides
 *     a += g_a · video_to_audio_attn(m(rms a; sa3, sa2), m(rms v; sv3, sv2))  (rms v, rms a taken before either update)
 *     a += r5 · audio_ff(m(rms a; r3, r4));  v += r5 · ff(m(rms v; r3, r4))
 *
 * with sv/sa = scale_shift_table_a2v_ca_{video,audio}[0…3] + av_ca_{video,audio}_scale_shift rows, g = their row 4 +
 * the av_ca gate module. Every attention: q_norm/k_norm RMS norms with weights, per-head gates 2·sigmoid(to_gate_logits
 * of its query input) when present, to_out.0. Without cross-attention AdaLN the text attention is v += attn2(rms v, c_v).
 *
 * The two streams travel between blocks as one flat tensor (video then audio) so that every node of a block reaches
 * the previous block through a single node: ggml orders nodes depth-first, and a block's audio feed-forward would
 * otherwise be computed only when the next block's audio stream asks for it, after the next block's video nodes, which
 * a schedule that streams one block at a time cannot run. For the same reason element-wise ops take the stream as
 * their first operand and the weight-derived vector second.
 */
class Ltx2DitGraph(private val nn: Nn, val dimensions: Ltx2DitDimensions) {
    private val ctx: GgmlContext = nn.ctx
    private val d = dimensions

    /**
     * The global modulations every block reads: AdaLN-single outputs, [width × rows, 1] — the video's [width × rows, F]
     * when every latent frame has its own timestep (image-to-video: the conditioned frame's tokens are less noisy).
     */
    class Modulations(
        val video: Tensor, val audio: Tensor,
        val videoPrompt: Tensor?, val audioPrompt: Tensor?,
        val videoCross: Tensor, val audioCross: Tensor,
        val videoCrossGate: Tensor, val audioCrossGate: Tensor,
        /** The timestep embeddings the output layers read, [width, 1] (the video's [width, F] with frame timesteps). */
        val videoEmbedded: Tensor, val audioEmbedded: Tensor,
    )

    /** The RoPE tables ([Ltx2DitRope]): video 3-D, audio time, video time for the cross attentions. */
    class Rope(val video: Tensor, val audio: Tensor, val videoTime: Tensor)

    /**
     * @param video latent [W, H, F, 128]
     * @param audio latent [16 bins, L, 8 channels] (sd.cpp's [b, c, t, f])
     * @param sigma [1], the sampler's σ
     * @param context [videoContext + audioContext, S]: one prompt's conditioning, video then audio per token
     * @param videoSigma [F]: each latent frame's σ for the video's own AdaLN, the output layer's included, which every
     *   token of the frame takes (sd.cpp's per-token timestep, the denoise mask times σ, where the mask is per frame);
     *   null: every token at [sigma]. The audio, the prompt and the cross-modal modules keep [sigma], as in sd.cpp.
     * @return the velocities flattened, the video's [W, H, F, 128] then the audio's [16, L, 8]
     */
    fun forward(w: Weights, video: Tensor, audio: Tensor, sigma: Tensor, context: Tensor, rope: Rope, videoSigma: Tensor? = null): Tensor {
        require(video.ne(3) == Ltx2DitArchitecture.LATENT_CHANNELS) { "the video latent has ${video.ne(3)} channels, LTX-2 takes ${Ltx2DitArchitecture.LATENT_CHANNELS}" }
        require(audio.ne(0) == Ltx2DitArchitecture.AUDIO_BINS && audio.ne(2) == Ltx2DitArchitecture.AUDIO_CHANNELS) {
            "the audio latent is ${audio.shape().toList()}, LTX-2 takes [${Ltx2DitArchitecture.AUDIO_BINS}, L, ${Ltx2DitArchitecture.AUDIO_CHANNELS}]"
        }
        require(context.ne(0) == d.contextWidth) { "the context is ${context.ne(0)} wide, this DiT takes ${d.videoContext} + ${d.audioContext}" }
        val videoTokens = video.ne(0) * video.ne(1) * video.ne(2)
        val audioTokens = audio.ne(1)
        if (videoSigma != null) {
            require(videoSigma.elementCount() == video.ne(2)) { "${videoSigma.elementCount()} video timesteps for ${video.ne(2)} latent frames" }
        }
        val m = modulations(w, sigma, videoSigma)
        val s = context.strides()
        val videoContext = ctx.cont(ctx.view3d(context, d.videoContext, context.ne(1), 1, s[1], s[1] * context.ne(1), 0))
        val audioContext = ctx.cont(ctx.view3d(context, d.audioContext, context.ne(1), 1, s[1], s[1] * context.ne(1), d.videoContext * s[0]))
        var joint = join(nn.linear(patchifyVideo(video), w.at("patchify_proj")), nn.linear(patchifyAudio(audio), w.at("audio_patchify_proj")))
        for (i in 0 until d.blocks) joint = block(w.at("transformer_blocks.$i"), joint, videoTokens, audioTokens, videoContext, audioContext, m, rope)
        val v = output(w, "", videoStream(joint, videoTokens), m.videoEmbedded)
        val a = output(w, "audio_", audioStream(joint, videoTokens, audioTokens), m.audioEmbedded)
        val videoOut = ctx.reshape(ctx.cont(ctx.transpose(v)), video.ne(0), video.ne(1), video.ne(2), Ltx2DitArchitecture.LATENT_CHANNELS)
        val audioOut = ctx.cont(ctx.permute(ctx.reshape(a, Ltx2DitArchitecture.AUDIO_BINS, Ltx2DitArchitecture.AUDIO_CHANNELS, audioTokens), 0, 2, 1, 3))
        return ctx.concat(flat(videoOut), flat(audioOut), 0)
    }

    /** [W, H, F, C] → tokens [C, W·H·F, 1], width fastest. */
    private fun patchifyVideo(x: Tensor): Tensor = ctx.cont(ctx.transpose(ctx.reshape(x, x.ne(0) * x.ne(1) * x.ne(2), x.ne(3))))

    /** [16, L, 8] → tokens [128, L, 1], feature bin + 16·channel. */
    private fun patchifyAudio(x: Tensor): Tensor =
        ctx.reshape(ctx.cont(ctx.permute(x, 0, 2, 1, 3)), x.ne(0) * x.ne(2), x.ne(1), 1)

    /** Every AdaLN-single module of the model at [sigma], the video's at [videoSigma] per latent frame when given. */
    fun modulations(w: Weights, sigma: Tensor, videoSigma: Tensor? = null): Modulations {
        val t = ctx.scale(sigma, Ltx2DitArchitecture.TIME_FACTOR)
        val cross = ctx.scale(sigma, Ltx2DitArchitecture.CROSS_TIME_FACTOR)
        val video = adaln(w.at("adaln_single"), if (videoSigma == null) t else ctx.scale(videoSigma, Ltx2DitArchitecture.TIME_FACTOR))
        val audio = adaln(w.at("audio_adaln_single"), t)
        val prompt = d.crossAttentionAdaln
        return Modulations(
            video = video.first, audio = audio.first,
            videoPrompt = if (prompt) adaln(w.at("prompt_adaln_single"), t).first else null,
            audioPrompt = if (prompt) adaln(w.at("audio_prompt_adaln_single"), t).first else null,
            videoCross = adaln(w.at("av_ca_video_scale_shift_adaln_single"), sigma).first,
            audioCross = adaln(w.at("av_ca_audio_scale_shift_adaln_single"), sigma).first,
            videoCrossGate = adaln(w.at("av_ca_a2v_gate_adaln_single"), cross).first,
            audioCrossGate = adaln(w.at("av_ca_v2a_gate_adaln_single"), cross).first,
            videoEmbedded = video.second, audioEmbedded = audio.second,
        )
    }

    /** AdaLayerNormSingle: (linear(silu(e)), e) with e = linear_2(silu(linear_1(sinusoid(t)))). */
    private fun adaln(w: Weights, t: Tensor): Pair<Tensor, Tensor> {
        val embedder = w.at("emb.timestep_embedder")
        val sinusoid = ctx.timestepEmbedding(t, Ltx2DitArchitecture.TIME_PROJECTION, Ltx2DitArchitecture.TIME_MAX_PERIOD)
        val embedded = nn.linear(ctx.silu(nn.linear(sinusoid, embedder.at("linear_1"))), embedder.at("linear_2"))
        return nn.linear(ctx.silu(embedded), w.at("linear")) to embedded
    }

    /** One BasicAVTransformerBlock over [joint] ([join] of the two streams); the result is joined the same way. */
    fun block(w: Weights, joint: Tensor, videoTokens: Long, audioTokens: Long, videoContext: Tensor, audioContext: Tensor,
              m: Modulations, rope: Rope): Tensor {
        val vRows = Rows(w.get("scale_shift_table"), m.video, d.videoWidth)
        val aRows = Rows(w.get("audio_scale_shift_table"), m.audio, d.audioWidth)
        var v = videoStream(joint, videoTokens)
        var a = audioStream(joint, videoTokens, audioTokens)

        v = ctx.add(v, vRows.gate(attention(w.at("attn1"), vRows.modulate(rms(v), 0), null, d.videoHeads, rope.video, rope.video), 2))
        v = ctx.add(v, text(w, "", v, videoContext, vRows, m.videoPrompt, d.videoHeads, d.videoWidth))
        a = ctx.add(a, aRows.gate(attention(w.at("audio_attn1"), aRows.modulate(rms(a), 0), null, d.audioHeads, rope.audio, rope.audio), 2))
        a = ctx.add(a, text(w, "audio_", a, audioContext, aRows, m.audioPrompt, d.audioHeads, d.audioWidth))

        val vNorm = rms(v)
        val aNorm = rms(a)
        val vCross = Rows(w.get("scale_shift_table_a2v_ca_video"), m.videoCross, d.videoWidth)
        val aCross = Rows(w.get("scale_shift_table_a2v_ca_audio"), m.audioCross, d.audioWidth)
        val vGate = Rows(w.get("scale_shift_table_a2v_ca_video"), m.videoCrossGate, d.videoWidth, from = 4)
        val aGate = Rows(w.get("scale_shift_table_a2v_ca_audio"), m.audioCrossGate, d.audioWidth, from = 4)
        // a cross row pair is (scale, shift): rows 0, 1 for audio → video, 2, 3 for video → audio
        val toVideo = attention(w.at("audio_to_video_attn"), shiftScale(vNorm, vCross[1], vCross[0]), shiftScale(aNorm, aCross[1], aCross[0]),
            d.audioHeads, rope.videoTime, rope.audio)
        v = ctx.add(v, ctx.mul(toVideo, vGate[4]))
        val toAudio = attention(w.at("video_to_audio_attn"), shiftScale(aNorm, aCross[3], aCross[2]), shiftScale(vNorm, vCross[3], vCross[2]),
            d.audioHeads, rope.audio, rope.videoTime)
        a = ctx.add(a, ctx.mul(toAudio, aGate[4]))

        a = ctx.add(a, aRows.gate(feedForward(w.at("audio_ff"), aRows.modulate(rms(a), 3)), 5))
        v = ctx.add(v, vRows.gate(feedForward(w.at("ff"), vRows.modulate(rms(v), 3)), 5))
        return join(v, a)
    }

    /** The text attention's update of stream [x] (before the residual add). */
    private fun text(w: Weights, prefix: String, x: Tensor, context: Tensor, rows: Rows, prompt: Tensor?, heads: Int, width: Long): Tensor {
        val attention = w.at("${prefix}attn2")
        if (prompt == null) return attention(attention, rms(x), context, heads, null, null)
        val p = Rows(w.get("${prefix}prompt_scale_shift_table"), prompt, width)
        val out = attention(attention, rows.modulate(rms(x), 6), shiftScale(context, p[0], p[1]), heads, null, null)
        return rows.gate(out, 8)
    }

    /**
     * sd.cpp's CrossAttention: q from [x], k and v from [context] (x itself when null), q_norm/k_norm, RoPE [qPe] on q and
     * [kPe] on k when given, per-head gates from x, to_out.0.
     */
    private fun attention(w: Weights, x: Tensor, context: Tensor?, heads: Int, qPe: Tensor?, kPe: Tensor?): Tensor {
        val kv = context ?: x
        fun normed(projection: String, norm: String, from: Tensor) =
            ctx.mul(ctx.rmsNorm(nn.linear(from, w.at(projection)), Ltx2DitArchitecture.QK_EPS), w.get("$norm.weight"))
        var q = normed("to_q", "q_norm", x)
        var k = normed("to_k", "k_norm", kv)
        if (qPe != null && kPe != null) {
            q = Ltx2ConnectorRope.apply(ctx, q, qPe, heads)
            k = Ltx2ConnectorRope.apply(ctx, k, kPe, heads)
        }
        var out = nn.attention(q, k, nn.linear(kv, w.at("to_v")), heads)
        if (w.has("to_gate_logits.weight")) {
            val width = out.ne(0)
            val t = out.ne(1)
            val gates = ctx.scale(ctx.sigmoid(nn.linear(x, w.at("to_gate_logits"))), Ltx2DitArchitecture.GATE_SCALE)
            out = ctx.reshape(ctx.mul(ctx.reshape(out, width / heads, heads.toLong(), t), ctx.reshape(gates, 1, heads.toLong(), t)), width, t, 1)
        }
        return nn.linear(out, w.at("to_out.0"))
    }

    private fun feedForward(w: Weights, x: Tensor): Tensor {
        val inner = ctx.gelu(nn.linear(x, w.at("net.0.proj")))
        // sd.cpp asks net.2 for f32 accumulation on Vulkan: its input is the widest activation of the block
        return ctx.add(ctx.accumulateInF32(ctx.mulMat(w.get("net.2.weight"), inner)), w.get("net.2.bias"))
    }

    /** norm_out (LayerNorm without weights), m(·; table[0] + e, table[1] + e), proj_out: tokens [128, T, 1]. */
    private fun output(w: Weights, prefix: String, x: Tensor, embedded: Tensor): Tensor {
        val rows = Rows(w.get("${prefix}scale_shift_table"), embedded, x.ne(0), broadcast = true)
        return nn.linear(rows.modulate(ctx.norm(x, Ltx2DitArchitecture.NORM_EPS), 0), w.at("${prefix}proj_out"))
    }

    private fun rms(x: Tensor): Tensor = ctx.rmsNorm(x, Ltx2DitArchitecture.NORM_EPS)

    private fun shiftScale(x: Tensor, shift: Tensor, scale: Tensor): Tensor = ctx.add(ctx.add(x, ctx.mul(x, scale)), shift)

    /**
     * Modulation rows: row k of [table] [width, rows] plus row k − [from] of [modulation] ([width × n, 1] from an AdaLN
     * module, which gives rows [from] … [from] + n − 1), or with [broadcast] one [width, 1] vector added to every row.
     * A modulation with a column per latent frame ([width × n, F], or [width, F] with [broadcast]) gives rows
     * [width, 1, F], each made where it is asked for (every row has one use, so none is made twice), which [modulate]
     * and [gate] apply to a stream [width, T] seen as [width, T / F, F]: a frame's tokens are consecutive, so every
     * token takes its frame's column by broadcasting and no [width, T] table of rows is ever made.
     */
    private inner class Rows(private val table: Tensor, private val modulation: Tensor, private val width: Long, private val from: Int = 0,
                             private val broadcast: Boolean = false) {
        private val frames = modulation.ne(1)
        private val count = if (broadcast) table.ne(1) else modulation.ne(0) / width

        init {
            require(from + count <= table.ne(1)) { "an AdaLN module gives $count rows from row $from of a ${table.ne(1)}-row table" }
        }

        private val sum: Tensor? = if (frames > 1) null else run {
            val m = if (broadcast) modulation else ctx.reshape(modulation, width, count)
            val t = f32(table)
            val rows = if (from == 0 && count == t.ne(1)) t else ctx.cont(ctx.view2d(t, width, count, t.strides()[1], from * t.strides()[1]))
            ctx.add(rows, m)
        }

        operator fun get(k: Int): Tensor {
            if (sum != null) return ctx.view1d(sum, width, (k - from) * sum.strides()[1])
            val t = f32(table)
            val row = ctx.view1d(t, width, k * t.strides()[1])
            val perFrame = if (broadcast) modulation
                else ctx.view2d(modulation, width, frames, modulation.strides()[1], (k - from) * width * modulation.strides()[0])
            return ctx.reshape(ctx.add(perFrame, row), width, 1, frames)
        }

        /** m(x; row [first], row [first] + 1): a (shift, scale) pair. */
        fun modulate(x: Tensor, first: Int): Tensor = perFrame(x) { shiftScale(it, this[first], this[first + 1]) }

        /** x · row [k]: a gate. */
        fun gate(x: Tensor, k: Int): Tensor = perFrame(x) { ctx.mul(it, this[k]) }

        private fun perFrame(x: Tensor, op: (Tensor) -> Tensor): Tensor {
            if (frames == 1L) return op(x)
            require(x.ne(1) % frames == 0L) { "${x.ne(1)} tokens are not $frames frames of equal size" }
            return ctx.reshape(op(ctx.reshape(x, x.ne(0), x.ne(1) / frames, frames)), x.ne(0), x.ne(1), 1)
        }
    }

    private fun f32(t: Tensor): Tensor = if (t.type() == GgmlType.F32) t else ctx.cast(t, GgmlType.F32)

    private fun flat(x: Tensor): Tensor = ctx.reshape(x, x.elementCount())

    /** Both streams [C, T, 1] in one flat tensor, video first: what [block] takes and gives. */
    fun join(video: Tensor, audio: Tensor): Tensor = ctx.concat(flat(video), flat(audio), 0)

    private fun videoStream(joint: Tensor, tokens: Long): Tensor =
        ctx.reshape(ctx.view1d(joint, d.videoWidth * tokens, 0), d.videoWidth, tokens, 1)

    private fun audioStream(joint: Tensor, videoTokens: Long, tokens: Long): Tensor =
        ctx.reshape(ctx.view1d(joint, d.audioWidth * tokens, d.videoWidth * videoTokens * joint.strides()[0]), d.audioWidth, tokens, 1)
}
