package dev.sdj.core.family.ltx2

/**
 * Every tensor of an LTX-2 audio-video DiT of given [Ltx2DitDimensions], in Lightricks' checkpoint names without
 * `model.diffusion_model.` and PyTorch shapes: what [Ltx2DitGraph] reads, what [TinyLtx2Dit] writes and what
 * [Ltx2DitCheck] requires of a file.
 */
object Ltx2DitTensors {
    /** One tensor: its name, its PyTorch shape (ggml's reversed), whether it is a norm weight (values around 1). */
    data class Entry(val name: String, val torchShape: List<Long>, val isNormScale: Boolean = false)

    fun of(d: Ltx2DitDimensions): List<Entry> {
        val out = ArrayList<Entry>()
        fun linear(name: String, inputs: Long, outputs: Long) {
            out += Entry("$name.weight", listOf(outputs, inputs))
            out += Entry("$name.bias", listOf(outputs))
        }
        fun adaln(name: String, width: Long, rows: Int) {
            linear("$name.emb.timestep_embedder.linear_1", Ltx2DitArchitecture.TIME_PROJECTION.toLong(), width)
            linear("$name.emb.timestep_embedder.linear_2", width, width)
            linear("$name.linear", width, rows * width)
        }
        fun attention(name: String, query: Long, context: Long, inner: Long, heads: Int) {
            linear("$name.to_q", query, inner)
            linear("$name.to_k", context, inner)
            linear("$name.to_v", context, inner)
            out += Entry("$name.q_norm.weight", listOf(inner), isNormScale = true)
            out += Entry("$name.k_norm.weight", listOf(inner), isNormScale = true)
            if (d.gated) linear("$name.to_gate_logits", query, heads.toLong())
            linear("$name.to_out.0", inner, query)
        }
        val latent = Ltx2DitArchitecture.LATENT_CHANNELS
        val audioLatent = Ltx2DitArchitecture.AUDIO_CHANNELS * Ltx2DitArchitecture.AUDIO_BINS
        linear("patchify_proj", latent, d.videoWidth)
        linear("audio_patchify_proj", audioLatent, d.audioWidth)
        adaln("adaln_single", d.videoWidth, d.modulationRows)
        adaln("audio_adaln_single", d.audioWidth, d.modulationRows)
        if (d.crossAttentionAdaln) {
            adaln("prompt_adaln_single", d.videoWidth, 2)
            adaln("audio_prompt_adaln_single", d.audioWidth, 2)
        }
        adaln("av_ca_video_scale_shift_adaln_single", d.videoWidth, 4)
        adaln("av_ca_a2v_gate_adaln_single", d.videoWidth, 1)
        adaln("av_ca_audio_scale_shift_adaln_single", d.audioWidth, 4)
        adaln("av_ca_v2a_gate_adaln_single", d.audioWidth, 1)
        for (i in 0 until d.blocks) {
            val b = "transformer_blocks.$i"
            out += Entry("$b.scale_shift_table", listOf(d.modulationRows.toLong(), d.videoWidth))
            out += Entry("$b.audio_scale_shift_table", listOf(d.modulationRows.toLong(), d.audioWidth))
            if (d.crossAttentionAdaln) {
                out += Entry("$b.prompt_scale_shift_table", listOf(2, d.videoWidth))
                out += Entry("$b.audio_prompt_scale_shift_table", listOf(2, d.audioWidth))
            }
            out += Entry("$b.scale_shift_table_a2v_ca_video", listOf(5, d.videoWidth))
            out += Entry("$b.scale_shift_table_a2v_ca_audio", listOf(5, d.audioWidth))
            attention("$b.attn1", d.videoWidth, d.videoWidth, d.videoWidth, d.videoHeads)
            attention("$b.attn2", d.videoWidth, d.videoContext, d.videoWidth, d.videoHeads)
            attention("$b.audio_attn1", d.audioWidth, d.audioWidth, d.audioWidth, d.audioHeads)
            attention("$b.audio_attn2", d.audioWidth, d.audioContext, d.audioWidth, d.audioHeads)
            attention("$b.audio_to_video_attn", d.videoWidth, d.audioWidth, d.audioWidth, d.audioHeads)
            attention("$b.video_to_audio_attn", d.audioWidth, d.videoWidth, d.audioWidth, d.audioHeads)
            linear("$b.ff.net.0.proj", d.videoWidth, d.videoFeedForward)
            linear("$b.ff.net.2", d.videoFeedForward, d.videoWidth)
            linear("$b.audio_ff.net.0.proj", d.audioWidth, d.audioFeedForward)
            linear("$b.audio_ff.net.2", d.audioFeedForward, d.audioWidth)
        }
        out += Entry("scale_shift_table", listOf(2, d.videoWidth))
        out += Entry("audio_scale_shift_table", listOf(2, d.audioWidth))
        linear("proj_out", d.videoWidth, latent)
        linear("audio_proj_out", d.audioWidth, audioLatent)
        return out
    }
}
