package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's audio-video DiT with random weights and the real tensor names (Lightricks' checkpoint names, which
 * stable-diffusion.cpp reads), of any [Ltx2DitDimensions]: [Ltx2DitDimensions.TINY] for tests, chained to
 * [TinyLtx2Text]'s contexts; [Ltx2DitDimensions.LTX_2_3] with [sampledBlocks] for full-size benchmarks. Tensors are
 * generated as the writer reaches them ([RandomTensorBytes]: linear weights N(0, 1/fan-in), q/k norm weights around 1,
 * vectors N(0, 0.05²)).
 *
 * @param type storage of every tensor (the released checkpoint is bf16; quantized types fall back to f16 for rows that
 *   are not whole blocks, as converters do)
 */
class TinyLtx2Dit @JvmOverloads constructor(
    val dimensions: Ltx2DitDimensions = Ltx2DitDimensions.TINY,
    seed: Long = 1,
    val type: DType = DType.F16,
    sampledBlocks: Boolean = false,
) {
    /** One tensor: its name without `model.diffusion_model.`, its PyTorch shape. */
    data class Entry(val name: String, val torchShape: List<Long>, val isNormScale: Boolean = false)

    private val random = RandomTensorBytes(seed, sampledBlocks = sampledBlocks)

    val tensors: List<Entry> = run {
        val d = dimensions
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
        out
    }

    /** The type [entry] is stored in: [type], or f16 where its rows are not whole blocks of a quantized [type]. */
    fun typeOf(entry: Entry): DType =
        if (type.isQuantized && (entry.torchShape.size == 1 || entry.torchShape.last() % type.blockSize != 0L)) DType.F16 else type

    /**
     * The DiT as its checkpoint holds it: under `model.diffusion_model.` in a safetensors file, bare in a GGUF (as the
     * DiT GGUFs name it), chosen by [path]'s extension.
     */
    fun write(path: Path): Path {
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        if (path.fileName.toString().endsWith(".gguf")) {
            val w = GgufWriter().put("general.architecture", "ltxv")
            for (e in tensors) w.addTensor(e.name, typeOf(e), e.torchShape.reversed(), data(e))
            w.write(path)
        } else {
            val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2 DiT")
            for (e in tensors) w.addTensor(DIT_PREFIX + e.name, typeOf(e), e.torchShape.reversed(), data(e))
            w.write(path)
        }
        return path
    }

    private fun data(e: Entry) = TensorData { out -> TensorData.of(random.bytes(e.name, typeOf(e), e.torchShape, e.isNormScale)).writeTo(out) }

    companion object {
        const val FILE = "ltx-2.3-random-dit.safetensors"
        private const val DIT_PREFIX = "model.diffusion_model."
    }
}
