package dev.sdj.core.family.sd

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.convert.SingleFileNames
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path

/**
 * A tiny SD1.x/SD2.x/SDXL model with random weights and the real tensor names, written in the layouts people download:
 * one LDM checkpoint (safetensors or GGUF), a diffusers folder, or separate component files. Every layout holds the
 * same values for the same canonical tensor (a fused OpenCLIP projection is the concatenation of the separate ones,
 * OpenCLIP's text projection the transpose of Hugging Face's), so readers can be checked against each other and all
 * layouts make the same image.
 *
 * @param typeOf storage type per canonical (LDM, unprefixed) tensor name and component
 * @param fanInScaled weights ~ N(0, 1/fan-in), which keeps a deep random network's activations bounded; false gives
 *   N(0, 0.05) everywhere, under which a block's residual branch stays a few percent of its output
 */
class TinySdModel(
    val arch: SdArchitecture = SD1_TINY,
    private val seed: Long = 1,
    private val typeOf: (ComponentKind, String) -> DType = { _, _ -> DType.F16 },
    private val fanInScaled: Boolean = true,
) {
    private val layout = SdTensorLayout(arch)

    private val sdxl: Boolean get() = arch.clip2 != null

    val components: Map<ComponentKind, List<SdTensorLayout.Entry>> = linkedMapOf(
        ComponentKind.DIFFUSION_MODEL to layout.unet(),
        ComponentKind.TEXT_ENCODER to layout.clip(),
        ComponentKind.VAE to layout.vae(),
    ).apply { if (arch.clip2 != null) put(ComponentKind.TEXT_ENCODER_2, layout.clip2()) }

    private val random = RandomTensorBytes(seed, fanInScaled)

    /** The tensor's bytes as stored, deterministic in (seed, component, canonical name). */
    fun bytes(kind: ComponentKind, entry: SdTensorLayout.Entry): ByteBuffer =
        random.bytes(kind.name + ":" + entry.ldm, typeOf(kind, entry.ldm), entry.torchShape,
            normScale = entry.ldm.endsWith(".weight") && entry.torchShape.size == 1)

    private fun ggmlShape(torch: List<Long>) = torch.reversed()

    /**
     * One tensor as a checkpoint stores it: its name there, type, PyTorch shape and bytes, generated when asked for so
     * that a writer holds one tensor at a time, not the model.
     */
    private class Stored(val name: String, val type: DType, val torchShape: List<Long>, val bytes: () -> ByteBuffer)

    /** The text encoders original checkpoints keep in OpenCLIP's naming: SD 2.x's only one, SDXL's second. */
    private fun isOpenClip(kind: ComponentKind): Boolean =
        kind == ComponentKind.TEXT_ENCODER_2 || (kind == ComponentKind.TEXT_ENCODER && arch.unet.linearProjection && !sdxl)

    /** A text encoder as an original checkpoint holds it in OpenCLIP's naming, with q/k/v fused into one projection. */
    private fun openClipEntries(kind: ComponentKind): List<Stored> {
        val clip = if (kind == ComponentKind.TEXT_ENCODER_2) arch.clip2!! else arch.clip
        val byName = components.getValue(kind).associateBy { it.ldm }
        fun stored(openClip: String, hf: String): Stored {
            val e = byName.getValue(hf)
            return Stored(openClip, typeOf(kind, hf), e.torchShape) { bytes(kind, e) }
        }
        fun hf(name: String) = stored(name, name)
        val out = ArrayList<Stored>()
        out.add(stored("token_embedding.weight", "text_model.embeddings.token_embedding.weight"))
        out.add(stored("positional_embedding", "text_model.embeddings.position_embedding.weight"))
        for (i in 0 until clip.layers) {
            val hf = "text_model.encoder.layers.$i"
            val oc = "transformer.resblocks.$i"
            for (suffix in listOf("weight", "bias")) {
                val parts = listOf("q_proj", "k_proj", "v_proj").map { hf("$hf.self_attn.$it.$suffix") }
                require(parts.all { it.type == parts[0].type }) { "a fused projection has one type: $hf q/k/v $suffix" }
                out.add(Stored("$oc.attn.in_proj_$suffix", parts[0].type, listOf(3 * parts[0].torchShape[0]) + parts[0].torchShape.drop(1)) {
                    val each = parts.map { it.bytes() }
                    val fused = ByteBuffer.allocate(each.sumOf { it.remaining() }).order(ByteOrder.LITTLE_ENDIAN)
                    each.forEach { fused.put(it) }
                    fused.flip()
                })
                for ((h, o) in listOf("self_attn.out_proj" to "attn.out_proj", "layer_norm1" to "ln_1", "layer_norm2" to "ln_2",
                        "mlp.fc1" to "mlp.c_fc", "mlp.fc2" to "mlp.c_proj")) {
                    out.add(stored("$oc.$o.$suffix", "$hf.$h.$suffix"))
                }
            }
        }
        out.add(stored("ln_final.weight", "text_model.final_layer_norm.weight"))
        out.add(stored("ln_final.bias", "text_model.final_layer_norm.bias"))
        byName[SdTensorLayout.TEXT_PROJECTION]?.let { e ->
            val linear = hf(SdTensorLayout.TEXT_PROJECTION)
            out.add(Stored(SdTensorLayout.OPEN_CLIP_PROJECTION, linear.type, e.torchShape.reversed()) { transposed(linear.bytes(), linear.type, e.torchShape) })
            // OpenCLIP's contrastive temperature, which checkpoints carry and no pipeline reads.
            out.add(Stored("logit_scale", DType.F32, listOf(1L)) { ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(4.6052f).flip() })
        }
        return out
    }

    /** [bytes] of a [rows, cols] matrix of [type], as the [cols, rows] matrix. */
    private fun transposed(bytes: ByteBuffer, type: DType, torchShape: List<Long>): ByteBuffer {
        require(type.blockSize == 1) { "a transposed tensor cannot be block-quantized ($type)" }
        val (rows, cols) = torchShape.map { it.toInt() }
        val size = type.blockBytes
        val out = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN)
        for (c in 0 until cols) for (r in 0 until rows) {
            for (b in 0 until size) out.put(bytes.get(bytes.position() + (r * cols + c) * size + b))
        }
        return out.flip()
    }

    /** Every tensor of the model as an LDM single file names it, component prefixes included. */
    private fun singleFileEntries(): List<Stored> = components.flatMap { (kind, entries) ->
        val prefix = prefix(kind)
        if (isOpenClip(kind)) {
            openClipEntries(kind).map { Stored(prefix + it.name, it.type, it.torchShape, it.bytes) }
        } else {
            entries.map { e -> Stored(prefix + e.ldm, typeOf(kind, e.ldm), e.torchShape) { bytes(kind, e) } }
        }
    }

    /**
     * One LDM checkpoint with the usual component prefixes; GGUF when the name ends in .gguf. Each tensor is generated
     * as the writer reaches it, so a full-size model (the benchmark's) is written in the memory of its largest tensor.
     */
    @JvmOverloads
    fun writeSingleFile(path: Path, tokenizer: Pair<List<String>, List<String>>? = null): Path {
        val gguf = path.fileName.toString().endsWith(".gguf")
        val st = SafetensorsWriter()
        val gw = GgufWriter()
        if (gguf) {
            gw.put("general.architecture", if (sdxl) "sdxl" else "sd1")
            tokenizer?.let { (tokens, merges) ->
                gw.put("tokenizer.ggml.model", "clip")
                gw.putStrings("tokenizer.ggml.tokens", tokens)
                gw.putStrings("tokenizer.ggml.merges", merges)
            }
        } else {
            st.metadata("generator", "sdj tiny random SD model")
        }
        for (t in singleFileEntries()) {
            val data = TensorData { out -> TensorData.of(t.bytes()).writeTo(out) }
            if (gguf) gw.addTensor(t.name, t.type, ggmlShape(t.torchShape), data) else st.addTensor(t.name, t.type, ggmlShape(t.torchShape), data)
        }
        if (gguf) gw.write(path) else st.write(path)
        return path
    }

    private fun prefix(kind: ComponentKind): String = when {
        sdxl -> SingleFileNames.prefix(ModelFamily.SDXL, kind)
        isOpenClip(kind) -> "cond_stage_model.model."
        else -> SingleFileNames.prefix(ModelFamily.SD1, kind)
    }

    /**
     * A diffusers folder: model_index.json and a folder per component with diffusers tensor names; with [tokenizer]
     * (tokens, merges), a tokenizer folder per text encoder in Hugging Face's vocab.json + merges.txt.
     */
    @JvmOverloads
    fun writeDiffusersFolder(dir: Path, tokenizer: Pair<List<String>, List<String>>? = null): Path {
        Files.createDirectories(dir)
        val json = ObjectMapper()
        val folders = FOLDERS.filterKeys { it in components }
        val index = json.createObjectNode().put("_class_name", if (sdxl) "StableDiffusionXLPipeline" else "StableDiffusionPipeline")
        folders.forEach { (kind, folder) -> index.putArray(folder).add(if (kind in TEXT_FOLDERS) "transformers" else "diffusers").add(CLASSES.getValue(kind)) }
        Files.writeString(dir.resolve("model_index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index))
        for ((kind, folder) in folders) {
            val sub = Files.createDirectories(dir.resolve(folder))
            val w = SafetensorsWriter()
            for (e in components.getValue(kind)) {
                w.addTensor(e.diffusers, typeOf(kind, e.ldm), ggmlShape(e.diffusersShape), TensorData.of(bytes(kind, e)))
            }
            w.write(sub.resolve(if (kind in TEXT_FOLDERS) "model.safetensors" else "diffusion_pytorch_model.safetensors"))
        }
        tokenizer?.let { (tokens, merges) ->
            for ((kind, folder) in TOKENIZER_FOLDERS) {
                if (kind !in components) continue
                HuggingFaceClipFiles.write(dir.resolve(folder), tokens, merges)
            }
        }
        return dir
    }

    /**
     * Separate component files as single-component downloads name their tensors: LDM without prefixes, CLIP in HF
     * (SDXL's bigG as ComfyUI's clip_g, with its projection as a Hugging Face Linear).
     */
    fun writeSplitFiles(dir: Path): List<Path> {
        Files.createDirectories(dir)
        return SPLIT_FILES.filter { it.first in components }.map { (kind, file) ->
            val w = SafetensorsWriter()
            for (e in components.getValue(kind)) w.addTensor(e.ldm, typeOf(kind, e.ldm), ggmlShape(e.torchShape), TensorData.of(bytes(kind, e)))
            dir.resolve(file).also { w.write(it) }
        }
    }

    companion object {
        /** SD1.x's structure at a size that builds and runs in moments: 32 base channels, a 2-layer CLIP. */
        val SD1_TINY = SdArchitecture(
            unet = SdArchitecture.Unet(modelChannels = 32, contextDim = 32),
            vae = SdArchitecture.Vae(channels = 32),
            clip = SdArchitecture.Clip(vocabSize = 1000, hidden = 32, layers = 2),
        )

        /**
         * SD1_TINY with a 256-wide text encoder (and cross-attention context), so that 256-value blocks (K-quants,
         * most i-quants) have rows to quantize in the text encoder and the UNet's cross-attention.
         */
        val SD1_TINY_WIDE_TEXT = SD1_TINY.copy(
            unet = SD1_TINY.unet.copy(contextDim = 256),
            clip = SD1_TINY.clip.copy(hidden = 256),
        )

        /** SD1_TINY as an inpainting checkpoint: its UNet reads the latent, the mask and the masked image's latent. */
        val SD1_TINY_INPAINT = SD1_TINY.copy(unet = SD1_TINY.unet.copy(inChannels = SdInpaintingUnet.IN_CHANNELS))

        /**
         * SDXL's structure at a tiny size: three levels, no attention at full resolution, one transformer block at the
         * middle level and two (like SDXL's 2 and 10, more than one) at the lowest and in the middle block, linear
         * transformer projections; a 32-wide CLIP-L-like first encoder and a 48-wide bigG-like second one with a square
         * projection, so the UNet's context is 80 and its added-condition input 48 + 6 × 256. Attention layers have 64
         * and 128 channels: one and two heads of 64.
         */
        val SDXL_TINY = SdArchitecture(
            unet = SdArchitecture.Unet(modelChannels = 32, channelMult = listOf(1, 2, 4), attentionLevels = setOf(1, 2),
                transformerDepths = mapOf(1 to 1, 2 to 2), middleDepth = 2, contextDim = 32 + 48, linearProjection = true,
                admInChannels = 48 + SdArchitecture.SDXL_SIZE_CONDITIONS),
            vae = SdArchitecture.Vae(channels = 32),
            clip = SdArchitecture.Clip(vocabSize = 1000, hidden = 32, layers = 2),
            clip2 = SdArchitecture.Clip(vocabSize = 1000, hidden = 48, layers = 2, projection = 48),
        )

        /** SDXL_TINY as an inpainting checkpoint (SDXL's inpainting UNets read 9 channels too). */
        val SDXL_TINY_INPAINT = SDXL_TINY.copy(unet = SDXL_TINY.unet.copy(inChannels = SdInpaintingUnet.IN_CHANNELS))

        /**
         * A tiny SD 1.x model with its float tensors in f16 and those stable-diffusion.cpp's converter would quantize
         * to [target] in [target] ([SdCppTypeRule]), as `sd -M convert --type` writes it from an f16 checkpoint.
         */
        fun convertedLikeSdCpp(target: DType, arch: SdArchitecture = SD1_TINY, seed: Long = 1): TinySdModel =
            convertedLikeSdCpp(arch, seed) { target }

        /**
         * A mixed file: each tensor's requested type chosen by its full name (sd.cpp's `--tensor-type-rules`), then
         * kept in f16 where the rule keeps it.
         */
        fun convertedLikeSdCpp(arch: SdArchitecture, seed: Long, targetOf: (String) -> DType): TinySdModel {
            require(!arch.unet.linearProjection) { "the sd.cpp-rule generator writes SD 1.x layouts" }
            val layout = SdTensorLayout(arch)
            val shapes = listOf(ComponentKind.DIFFUSION_MODEL to layout.unet(), ComponentKind.TEXT_ENCODER to layout.clip(),
                ComponentKind.VAE to layout.vae()).flatMap { (kind, entries) -> entries.map { (kind to it.ldm) to it.torchShape.reversed() } }.toMap()
            return TinySdModel(arch, seed, typeOf = { kind, name ->
                val full = SingleFileNames.prefix(ModelFamily.SD1, kind) + name
                SdCppTypeRule.typeFor(full, shapes.getValue(kind to name), DType.F16, targetOf(full))
            })
        }

        private val TEXT_FOLDERS = linkedMapOf(
            ComponentKind.TEXT_ENCODER to "text_encoder",
            ComponentKind.TEXT_ENCODER_2 to "text_encoder_2",
        )
        private val TOKENIZER_FOLDERS = mapOf(ComponentKind.TEXT_ENCODER to "tokenizer", ComponentKind.TEXT_ENCODER_2 to "tokenizer_2")
        private val FOLDERS = linkedMapOf(ComponentKind.DIFFUSION_MODEL to "unet") + TEXT_FOLDERS + (ComponentKind.VAE to "vae")
        private val CLASSES = mapOf(
            ComponentKind.DIFFUSION_MODEL to "UNet2DConditionModel",
            ComponentKind.TEXT_ENCODER to "CLIPTextModel",
            ComponentKind.TEXT_ENCODER_2 to "CLIPTextModelWithProjection",
            ComponentKind.VAE to "AutoencoderKL",
        )
        private val SPLIT_FILES = listOf(
            ComponentKind.DIFFUSION_MODEL to "diffusion_model.safetensors",
            ComponentKind.VAE to "vae.safetensors",
            ComponentKind.TEXT_ENCODER to "clip_l.safetensors",
            ComponentKind.TEXT_ENCODER_2 to "clip_g.safetensors",
        )
    }
}
