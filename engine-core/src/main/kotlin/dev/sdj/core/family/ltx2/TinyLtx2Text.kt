package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.family.gemma3.Gemma3Names
import dev.sdj.core.family.gemma3.TinyGemma3Vocabulary
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's conditioner with random weights and the real tensor names, in the files users download: Gemma-3 as
 * llama.cpp's GGUF (or as Hugging Face safetensors), the two connectors inside the DiT checkpoint (under
 * `model.diffusion_model.`, or bare in a DiT GGUF) and the text-embedding projections in the separate
 * `*_embeddings_connectors.safetensors`. Every layout holds the same values for the same tensor; tensors are generated
 * as a writer reaches them, so a full-size model is written in the memory of its largest tensor.
 *
 * Values keep a forward pass finite at any depth: linear weights N(0, 1/fan-in), norm weights around 1 (Gemma's
 * stored as llama.cpp stores them, 1 + w), biases N(0, 0.05²) ([RandomTensorBytes]).
 *
 * @param gemmaType storage of Gemma's matrices: as llama.cpp's quantize does, 1-D tensors stay f32, and a matrix
 *   whose rows are not whole blocks of a quantized type falls back to f16
 * @param connectorType storage of every projection and connector tensor (the released file is bf16)
 * @param sampledBlocks large quantized tensors from sampled blocks ([RandomTensorBytes]), for full-size benchmarks
 */
class TinyLtx2Text @JvmOverloads constructor(
    val shapes: Ltx2TextShapes = Ltx2TextShapes.TINY,
    seed: Long = 1,
    val gemmaType: DType = DType.F16,
    val connectorType: DType = DType.F16,
    sampledBlocks: Boolean = false,
) {
    /** One tensor: its name (llama.cpp's for Gemma, as [Ltx2TextContext] reads it for the connectors), PyTorch shape. */
    data class Entry(val name: String, val torchShape: List<Long>, val isNormScale: Boolean = false)

    /** The files [writeFiles] writes. */
    data class TextFiles(val gemma: Path, val connectors: Path, val projections: Path) {
        val all: List<Path> get() = listOf(gemma, connectors, projections)
    }

    private val random = RandomTensorBytes(seed, sampledBlocks = sampledBlocks)

    /** The vocabulary the Gemma GGUF carries, one token per row of the token embedding. */
    val vocabulary: TinyGemma3Vocabulary = TinyGemma3Vocabulary.generate(shapes.gemma.vocabulary.toInt())

    val gemmaTensors: List<Entry> = run {
        val g = shapes.gemma
        val q = g.heads * g.headDim
        val kv = g.kvHeads * g.headDim
        val out = ArrayList<Entry>()
        out += Entry(Gemma3Names.EMBEDDING, listOf(g.vocabulary, g.hidden))
        for (i in 0 until g.layers) {
            fun add(name: String, vararg shape: Long) = out.add(Entry("blk.$i.$name.weight", shape.toList(), shape.size == 1))
            add("attn_norm", g.hidden)
            add("attn_q", q, g.hidden)
            add("attn_k", kv, g.hidden)
            add("attn_v", kv, g.hidden)
            add("attn_q_norm", g.headDim)
            add("attn_k_norm", g.headDim)
            add("attn_output", g.hidden, q)
            add("post_attention_norm", g.hidden)
            add("ffn_norm", g.hidden)
            add("ffn_gate", g.feedForward, g.hidden)
            add("ffn_up", g.feedForward, g.hidden)
            add("ffn_down", g.hidden, g.feedForward)
            add("post_ffw_norm", g.hidden)
        }
        out += Entry(Gemma3Names.FINAL_NORM, listOf(g.hidden), isNormScale = true)
        out
    }

    /** Both connectors' tensors, under `{video,audio}_embeddings_connector.`. */
    val connectorTensors: List<Entry> =
        connector(Ltx2TextArchitecture.VIDEO_CONNECTOR, shapes.video) + connector(Ltx2TextArchitecture.AUDIO_CONNECTOR, shapes.audio)

    /** Both aggregate projections, under `text_embedding_projection.`. */
    val projectionTensors: List<Entry> = listOf(
        Ltx2TextArchitecture.VIDEO_AGGREGATE to shapes.video.width,
        Ltx2TextArchitecture.AUDIO_AGGREGATE to shapes.audio.width,
    ).flatMap { (name, width) -> listOf(Entry("$name.weight", listOf(width, shapes.featureWidth)), Entry("$name.bias", listOf(width))) }

    private fun connector(prefix: String, d: Ltx2ConnectorDimensions): List<Entry> {
        val out = ArrayList<Entry>()
        out += Entry("$prefix.learnable_registers", listOf(d.registers.toLong(), d.width))
        for (i in 0 until d.blocks) {
            val b = "$prefix.transformer_1d_blocks.$i"
            for (p in listOf("to_q", "to_k", "to_v", "to_out.0")) {
                out += Entry("$b.attn1.$p.weight", listOf(d.width, d.width))
                out += Entry("$b.attn1.$p.bias", listOf(d.width))
            }
            out += Entry("$b.attn1.q_norm.weight", listOf(d.width), isNormScale = true)
            out += Entry("$b.attn1.k_norm.weight", listOf(d.width), isNormScale = true)
            if (d.gated) {
                out += Entry("$b.attn1.to_gate_logits.weight", listOf(d.heads.toLong(), d.width))
                out += Entry("$b.attn1.to_gate_logits.bias", listOf(d.heads.toLong()))
            }
            out += Entry("$b.ff.net.0.proj.weight", listOf(d.feedForward, d.width))
            out += Entry("$b.ff.net.0.proj.bias", listOf(d.feedForward))
            out += Entry("$b.ff.net.2.weight", listOf(d.width, d.feedForward))
            out += Entry("$b.ff.net.2.bias", listOf(d.width))
        }
        return out
    }

    /** The type a Gemma tensor is stored in, in a GGUF. */
    fun gemmaTypeOf(entry: Entry): DType = when {
        entry.torchShape.size == 1 -> DType.F32
        gemmaType.isQuantized && entry.torchShape.last() % gemmaType.blockSize != 0L -> DType.F16
        else -> gemmaType
    }

    private fun bytes(entry: Entry, type: DType): ByteBuffer = random.bytes(entry.name, type, entry.torchShape, entry.isNormScale)

    /**
     * Gemma-3 as llama.cpp's converter writes it: general.architecture "gemma3", the gemma3.* hyperparameters, the
     * [vocabulary] in tokenizer.ggml.*, the tensors in llama.cpp's names with norm weights stored as 1 + w.
     */
    fun writeGemmaGguf(path: Path): Path {
        val g = shapes.gemma
        val w = GgufWriter()
            .put("general.architecture", "gemma3")
            .put("general.name", "sdj random Gemma-3")
            .putUInt32("gemma3.context_length", 131_072)
            .putUInt32("gemma3.embedding_length", g.hidden)
            .putUInt32("gemma3.block_count", g.layers.toLong())
            .putUInt32("gemma3.feed_forward_length", g.feedForward)
            .putUInt32("gemma3.attention.head_count", g.heads.toLong())
            .putUInt32("gemma3.attention.head_count_kv", g.kvHeads.toLong())
            .putUInt32("gemma3.attention.key_length", g.headDim)
            .putUInt32("gemma3.attention.value_length", g.headDim)
            .put("gemma3.attention.layer_norm_rms_epsilon", 1e-6f)
            .putUInt32("gemma3.attention.sliding_window", 1024)
            .put("gemma3.rope.freq_base", 1_000_000f)
            .put("gemma3.rope.scaling.type", "linear")
            .put("gemma3.rope.scaling.factor", 8f)
        vocabulary.writeTo(w)
        for (e in gemmaTensors) {
            val type = gemmaTypeOf(e)
            w.addTensor(e.name, type, e.torchShape.reversed(), TensorData { out -> TensorData.of(bytes(e, type)).writeTo(out) })
        }
        return written(path) { w.write(it) }
    }

    /**
     * Gemma-3 as Hugging Face stores it (Gemma3ForConditionalGeneration's `language_model.model.` names, one
     * safetensors file), holding the same function as [writeGemmaGguf]: each norm weight is the GGUF's minus 1
     * (computed in f32), the matrices the GGUF's values in [gemmaType], which must be a float type here.
     */
    fun writeGemmaHuggingFace(path: Path): Path {
        require(!gemmaType.isQuantized) { "Hugging Face safetensors hold float weights, not $gemmaType" }
        val w = SafetensorsWriter().metadata("format", "pt")
        for (e in gemmaTensors) {
            val type = gemmaTypeOf(e)
            val data = if (e.isNormScale) TensorData { out -> TensorData.of(minusOne(bytes(e, type))).writeTo(out) }
            else TensorData { out -> TensorData.of(bytes(e, type)).writeTo(out) }
            w.addTensor(Gemma3Names.huggingFace(e.name), type, e.torchShape.reversed(), data)
        }
        return written(path) { w.write(it) }
    }

    private fun minusOne(f32: ByteBuffer): ByteBuffer {
        val source = f32.duplicate().order(ByteOrder.LITTLE_ENDIAN)
        val out = ByteBuffer.allocate(source.remaining()).order(ByteOrder.LITTLE_ENDIAN)
        while (source.hasRemaining()) out.putFloat(source.getFloat() - 1f)
        return out.flip()
    }

    /**
     * The connectors as the DiT checkpoint holds them: under `model.diffusion_model.` in a safetensors file, bare in a
     * GGUF (as the DiT GGUFs name them), chosen by [path]'s extension. Only the connectors: they mark the file as
     * LTX-2's, and the conditioner needs nothing else of the DiT.
     */
    fun writeConnectors(path: Path): Path =
        if (path.fileName.toString().endsWith(".gguf")) writeGguf(path, connectorTensors, "") else writeSafetensors(path, connectorTensors, DIT_PREFIX)

    /** The text-embedding projections alone at the top level, as the `*_embeddings_connectors.safetensors` download holds them. */
    fun writeProjections(path: Path): Path = writeSafetensors(path, projectionTensors, "")

    /**
     * The conditioner's three files in [dir], named as the downloads are: [GEMMA_FILE], [CONNECTORS_FILE] (the DiT's
     * connectors) and [PROJECTIONS_FILE].
     */
    fun writeFiles(dir: Path): TextFiles = TextFiles(
        writeGemmaGguf(dir.resolve(GEMMA_FILE)),
        writeConnectors(dir.resolve(CONNECTORS_FILE)),
        writeProjections(dir.resolve(PROJECTIONS_FILE)),
    )

    private fun writeSafetensors(path: Path, entries: List<Entry>, prefix: String): Path {
        val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2 text connectors")
        for (e in entries) w.addTensor(prefix + e.name, connectorType, e.torchShape.reversed(), TensorData { out -> TensorData.of(bytes(e, connectorType)).writeTo(out) })
        return written(path) { w.write(it) }
    }

    private fun writeGguf(path: Path, entries: List<Entry>, prefix: String): Path {
        val w = GgufWriter().put("general.architecture", "ltxv")
        for (e in entries) w.addTensor(prefix + e.name, connectorType, e.torchShape.reversed(), TensorData { out -> TensorData.of(bytes(e, connectorType)).writeTo(out) })
        return written(path) { w.write(it) }
    }

    private fun written(path: Path, write: (Path) -> Unit): Path {
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        write(path)
        return path
    }

    companion object {
        const val GEMMA_FILE = "gemma-3-random-it.gguf"
        const val CONNECTORS_FILE = "ltx-2.3-random-connectors.safetensors"
        const val PROJECTIONS_FILE = "ltx-2.3-random_embeddings_connectors.safetensors"
        private const val DIT_PREFIX = "model.diffusion_model."
    }
}
