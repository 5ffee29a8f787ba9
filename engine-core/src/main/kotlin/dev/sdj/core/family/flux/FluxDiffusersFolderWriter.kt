package dev.sdj.core.family.flux

import dev.sdj.core.family.clip.HuggingFaceClipFiles
import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

/**
 * Writes a [TinyFluxModel] as Hugging Face publishes FLUX.1-dev and schnell for diffusers: model_index.json, the DiT
 * in FluxTransformer2DModel's names and T5 both sharded behind an index, CLIP-L in one file, the autoencoder in
 * AutoencoderKL's names. Every diffusers tensor is cut from the bytes the model's BFL tensor has, so the folder holds
 * exactly the weights of the other layouts.
 */
internal class FluxDiffusersFolderWriter(private val model: TinyFluxModel, private val typeOf: (ComponentKind, String) -> DType) {
    private val layout = FluxTensorLayout(model.arch)
    private val json = ObjectMapper()

    fun write(dir: Path, clipTokenizer: Pair<List<String>, List<String>>?, t5TokenizerJson: Path?): Path {
        Files.createDirectories(dir)
        writeJson(dir.resolve("model_index.json"), modelIndex())
        sharded(dir.resolve("transformer"), "diffusion_pytorch_model", dit())
        writeJson(dir.resolve("transformer").resolve("config.json"), transformerConfig())
        single(dir.resolve("text_encoder").resolve("model.safetensors"), plain(ComponentKind.TEXT_ENCODER))
        sharded(dir.resolve("text_encoder_2"), "model", plain(ComponentKind.TEXT_ENCODER_2))
        single(dir.resolve("vae").resolve("diffusion_pytorch_model.safetensors"), vae())
        writeJson(dir.resolve("vae").resolve("config.json"), vaeConfig())
        clipTokenizer?.let { (tokens, merges) -> HuggingFaceClipFiles.write(dir.resolve("tokenizer"), tokens, merges) }
        t5TokenizerJson?.let {
            val folder = Files.createDirectories(dir.resolve("tokenizer_2"))
            Files.copy(it, folder.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING)
        }
        return dir
    }

    /** One tensor as a file stores it: name, type, PyTorch shape, and its bytes, produced when the writer reaches it. */
    private class Stored(val name: String, val type: DType, val torchShape: List<Long>, val data: TensorData) {
        val byteSize: Long get() = type.byteSize(torchShape.reversed()) ?: throw IllegalStateException("'$name' is too large")
    }

    private fun modelIndex() = json.createObjectNode().apply {
        put("_class_name", "FluxPipeline")
        for ((key, library, cls) in INDEX) putArray(key).add(library).add(cls)
    }

    /** The hyper-parameters diffusers builds the DiT from; the engine reads them from the tensors instead. */
    private fun transformerConfig() = json.createObjectNode().apply {
        val d = model.arch.dit
        put("_class_name", "FluxTransformer2DModel")
        put("patch_size", 1)
        put("in_channels", d.patchChannels)
        put("num_layers", d.doubleBlocks)
        put("num_single_layers", d.singleBlocks)
        put("attention_head_dim", d.headDim)
        put("num_attention_heads", d.hidden / d.headDim)
        put("joint_attention_dim", model.arch.t5.dModel)
        put("pooled_projection_dim", model.arch.clip.hidden)
        put("guidance_embeds", d.guidance)
        putArray("axes_dims_rope").apply { FluxRope.axes(d.headDim).forEach { add(it) } }
    }

    /** Flux's autoencoder in AutoencoderKL's terms: no quant_conv/post_quant_conv, 16 latent channels. */
    private fun vaeConfig() = json.createObjectNode().apply {
        val v = model.arch.vae
        put("_class_name", "AutoencoderKL")
        put("in_channels", 3)
        put("out_channels", 3)
        put("latent_channels", v.latentChannels)
        putArray("block_out_channels").apply { v.channelMult.forEach { add(it * v.channels) } }
        put("layers_per_block", v.resBlocksPerLevel)
        put("use_quant_conv", false)
        put("use_post_quant_conv", false)
    }

    private fun plain(kind: ComponentKind): List<Stored> = model.components.getValue(kind).map { e ->
        Stored(e.name, typeOf(kind, e.name), e.torchShape, TensorData { out -> TensorData.of(model.bytes(kind, e)).writeTo(out) })
    }

    private fun vae(): List<Stored> = layout.vaeNames.map { e ->
        val ldm = FluxTensorLayout.Entry(e.ldm, e.torchShape)
        Stored(e.diffusers, typeOf(ComponentKind.VAE, e.ldm), e.diffusersShape,
            TensorData { out -> TensorData.of(model.bytes(ComponentKind.VAE, ldm)).writeTo(out) })
    }

    private fun dit(): List<Stored> {
        val kind = ComponentKind.DIFFUSION_MODEL
        val entries = model.components.getValue(kind)
        val byName = entries.associateBy { it.name }
        return DiffusersFluxNames(model.arch.dit.hidden.toLong()).parts(entries).map { part ->
            val bfl = byName.getValue(part.bfl)
            Stored(part.name, typeOf(kind, bfl.name), part.torchShape, TensorData { out ->
                cut(model.bytes(kind, bfl), bfl.torchShape[0], part).forEach { TensorData.of(it).writeTo(out) }
            })
        }
    }

    /** [part]'s bytes within its BFL tensor's: whole rows, since a row (quantized blocks included) never spans two. */
    private fun cut(bytes: ByteBuffer, rows: Long, part: DiffusersFluxNames.Part): List<ByteBuffer> {
        val total = bytes.remaining()
        require(total % rows == 0L) { "${part.bfl}: $total bytes are not $rows whole rows" }
        val rowBytes = (total / rows).toInt()
        fun slice(first: Long, count: Long): ByteBuffer =
            bytes.duplicate().position(bytes.position() + (first * rowBytes).toInt()).limit(bytes.position() + ((first + count) * rowBytes).toInt()).slice()
        if (part.halvesSwapped) return listOf(slice(rows / 2, rows / 2), slice(0, rows / 2))
        return listOf(slice(part.firstRow, part.torchShape[0]))
    }

    private fun writer(tensors: List<Stored>): SafetensorsWriter =
        SafetensorsWriter().also { w -> tensors.forEach { w.addTensor(it.name, it.type, it.torchShape.reversed(), it.data) } }

    private fun single(path: Path, tensors: List<Stored>) {
        Files.createDirectories(path.parent)
        writer(tensors).write(path)
    }

    /**
     * Two shards, so the index is what a reader goes through, as for the real models (the DiT and T5-XXL exceed one
     * file's size there): the greedy split of [SafetensorsWriter.writeSharded] at a limit that both halves fit in.
     */
    private fun sharded(folder: Path, baseName: String, tensors: List<Stored>) {
        Files.createDirectories(folder)
        val sizes = tensors.map { it.byteSize }
        val total = sizes.sum()
        var before = 0L
        var limit = total
        for (size in sizes.dropLast(1)) {
            before += size
            limit = minOf(limit, maxOf(before, total - before))
        }
        writer(tensors).writeSharded(folder, baseName, limit)
    }

    private fun writeJson(path: Path, node: Any) = Files.writeString(path, json.writerWithDefaultPrettyPrinter().writeValueAsString(node))

    private companion object {
        /** The components FLUX.1-dev's and schnell's model_index.json list, with the library and class loading each. */
        val INDEX = listOf(
            Triple("scheduler", "diffusers", "FlowMatchEulerDiscreteScheduler"),
            Triple("text_encoder", "transformers", "CLIPTextModel"),
            Triple("text_encoder_2", "transformers", "T5EncoderModel"),
            Triple("tokenizer", "transformers", "CLIPTokenizer"),
            Triple("tokenizer_2", "transformers", "T5TokenizerFast"),
            Triple("transformer", "diffusers", "FluxTransformer2DModel"),
            Triple("vae", "diffusers", "AutoencoderKL"),
        )
    }
}
