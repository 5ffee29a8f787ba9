package dev.sdj.core.family.sd

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import dev.sdj.ggml.Ggml
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.util.Random

/**
 * A tiny SD1.x/SD2.x model with random weights and the real tensor names, written in the layouts people download:
 * one LDM checkpoint (safetensors or GGUF), a diffusers folder, or separate component files. Every layout holds the
 * same values for the same canonical tensor, so readers can be checked against each other.
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

    val components: Map<ComponentKind, List<SdTensorLayout.Entry>> = linkedMapOf(
        ComponentKind.DIFFUSION_MODEL to layout.unet(),
        ComponentKind.TEXT_ENCODER to layout.clip(),
        ComponentKind.VAE to layout.vae(),
    )

    /** The tensor's bytes as stored, deterministic in (seed, component, canonical name). */
    fun bytes(kind: ComponentKind, entry: SdTensorLayout.Entry): ByteBuffer {
        val type = typeOf(kind, entry.ldm)
        val count = entry.torchShape.fold(1L) { a, b -> a * b }.toInt()
        val rnd = Random(seed * 1_000_003 + (kind.name + ":" + entry.ldm).hashCode())
        val isNormScale = entry.ldm.endsWith(".weight") && entry.torchShape.size == 1
        // 1/sqrt(fan-in) keeps activations of a deep random network bounded (no f16 overflow, no NaN images).
        val fanIn = entry.torchShape.drop(1).fold(1L) { a, b -> a * b }
        val std = if (entry.torchShape.size == 1 || !fanInScaled) 0.05 else 1.0 / Math.sqrt(fanIn.toDouble())
        if (type.isQuantized) {
            // From the f16 values, as converters quantize an f16 checkpoint: the file equals the f16 one quantized
            val values = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder())
            repeat(count) {
                val v = ((if (isNormScale) 1.0 else 0.0) + rnd.nextGaussian() * std).toFloat()
                values.putFloat(HalfFloat.toFloat(HalfFloat.fromFloat(v)))
            }
            return quantized(type, values.flip(), entry.torchShape.last())
        }
        val out = ByteBuffer.allocate(count * type.blockBytes).order(ByteOrder.LITTLE_ENDIAN)
        repeat(count) {
            val v = (if (isNormScale) 1.0 else 0.0) + rnd.nextGaussian() * std
            when (type) {
                DType.F32 -> out.putFloat(v.toFloat())
                DType.F16 -> out.putShort(HalfFloat.fromFloat(v.toFloat()))
                DType.BF16 -> out.putShort((java.lang.Float.floatToIntBits(v.toFloat()) ushr 16).toShort())
                // Any code but the NaN/infinity ones is a valid weight; the values' distribution does not matter here.
                DType.F8_E4M3 -> out.put((rnd.nextInt(0x7f) or (if (rnd.nextBoolean()) 0x80 else 0)).toByte())
                DType.F8_E5M2 -> out.put((rnd.nextInt(0x7c) or (if (rnd.nextBoolean()) 0x80 else 0)).toByte())
                else -> throw IllegalArgumentException("the tiny generator writes float types only, not $type")
            }
        }
        out.flip()
        return out
    }

    /**
     * [values] quantized to [type] by ggml, as converters write them. Types that need an importance matrix get a
     * uniform one: the values are random, no column matters more than another.
     */
    private fun quantized(type: DType, values: ByteBuffer, rowLength: Long): ByteBuffer {
        val ggmlType = type.ggml ?: throw IllegalArgumentException("$type is no ggml type")
        val quantization = Ggml.get().quantization()
        val importance = if (quantization.requiresImportance(ggmlType)) {
            ByteBuffer.allocateDirect(rowLength.toInt() * 4).order(ByteOrder.nativeOrder()).also { b ->
                repeat(rowLength.toInt()) { b.putFloat(1f) }
                b.flip()
            }
        } else {
            null
        }
        val out = ByteBuffer.allocateDirect(values.remaining() / 4 / type.blockSize * type.blockBytes)
        quantization.quantize(ggmlType, values, rowLength, importance, out)
        return out.flip().order(ByteOrder.LITTLE_ENDIAN)
    }

    private fun ggmlShape(torch: List<Long>) = torch.reversed()

    /** SD 2.x checkpoints store their text encoder in OpenCLIP's naming, with q/k/v fused into one projection. */
    private val openClipText: Boolean get() = arch.unet.linearProjection

    /** The text encoder as an SD 2.x single file holds it: (name, torch shape, bytes). */
    private fun openClipEntries(): List<Triple<String, List<Long>, ByteBuffer>> {
        val kind = ComponentKind.TEXT_ENCODER
        val byName = components.getValue(kind).associateBy { it.ldm }
        fun bytesOf(name: String) = bytes(kind, byName.getValue(name))
        fun shapeOf(name: String) = byName.getValue(name).torchShape
        val out = ArrayList<Triple<String, List<Long>, ByteBuffer>>()
        out.add(Triple("token_embedding.weight", shapeOf("text_model.embeddings.token_embedding.weight"), bytesOf("text_model.embeddings.token_embedding.weight")))
        out.add(Triple("positional_embedding", shapeOf("text_model.embeddings.position_embedding.weight"), bytesOf("text_model.embeddings.position_embedding.weight")))
        for (i in 0 until arch.clip.layers) {
            val hf = "text_model.encoder.layers.$i"
            val oc = "transformer.resblocks.$i"
            for (suffix in listOf("weight", "bias")) {
                val parts = listOf("q_proj", "k_proj", "v_proj").map { bytesOf("$hf.self_attn.$it.$suffix") }
                val fused = ByteBuffer.allocate(parts.sumOf { it.remaining() }).order(ByteOrder.LITTLE_ENDIAN)
                parts.forEach { fused.put(it) }
                fused.flip()
                val shape = shapeOf("$hf.self_attn.q_proj.$suffix").let { listOf(3 * it[0]) + it.drop(1) }
                out.add(Triple("$oc.attn.in_proj_$suffix", shape, fused))
                for ((h, o) in listOf("self_attn.out_proj" to "attn.out_proj", "layer_norm1" to "ln_1", "layer_norm2" to "ln_2",
                        "mlp.fc1" to "mlp.c_fc", "mlp.fc2" to "mlp.c_proj")) {
                    out.add(Triple("$oc.$o.$suffix", shapeOf("$hf.$h.$suffix"), bytesOf("$hf.$h.$suffix")))
                }
            }
        }
        out.add(Triple("ln_final.weight", shapeOf("text_model.final_layer_norm.weight"), bytesOf("text_model.final_layer_norm.weight")))
        out.add(Triple("ln_final.bias", shapeOf("text_model.final_layer_norm.bias"), bytesOf("text_model.final_layer_norm.bias")))
        return out
    }

    /** One LDM checkpoint with the usual component prefixes; GGUF when the name ends in .gguf. */
    @JvmOverloads
    fun writeSingleFile(path: Path, tokenizer: Pair<List<String>, List<String>>? = null): Path {
        val gguf = path.fileName.toString().endsWith(".gguf")
        val st = SafetensorsWriter()
        val gw = GgufWriter()
        if (gguf) {
            gw.put("general.architecture", "sd1")
            tokenizer?.let { (tokens, merges) ->
                gw.put("tokenizer.ggml.model", "clip")
                gw.putStrings("tokenizer.ggml.tokens", tokens)
                gw.putStrings("tokenizer.ggml.merges", merges)
            }
        } else {
            st.metadata("generator", "sdj tiny random SD model")
        }
        val add: (String, DType, List<Long>, TensorData) -> Unit =
            if (gguf) { n, t, s, d -> gw.addTensor(n, t, s, d) } else { n, t, s, d -> st.addTensor(n, t, s, d) }
        for ((kind, entries) in components) {
            if (kind == ComponentKind.TEXT_ENCODER && openClipText) {
                for ((name, shape, data) in openClipEntries()) {
                    add("cond_stage_model.model.$name", typeOf(kind, name), ggmlShape(shape), TensorData.of(data))
                }
                continue
            }
            for (e in entries) {
                add(PREFIX.getValue(kind) + e.ldm, typeOf(kind, e.ldm), ggmlShape(e.torchShape), TensorData.of(bytes(kind, e)))
            }
        }
        if (gguf) gw.write(path) else st.write(path)
        return path
    }

    /** A diffusers folder: model_index.json, unet/, text_encoder/, vae/, each with diffusers tensor names. */
    fun writeDiffusersFolder(dir: Path): Path {
        Files.createDirectories(dir)
        val json = ObjectMapper()
        val index = json.createObjectNode().put("_class_name", "StableDiffusionPipeline")
        FOLDERS.forEach { (kind, folder) -> index.putArray(folder).add(if (kind == ComponentKind.TEXT_ENCODER) "transformers" else "diffusers").add(CLASSES.getValue(kind)) }
        Files.writeString(dir.resolve("model_index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index))
        for ((kind, folder) in FOLDERS) {
            val sub = Files.createDirectories(dir.resolve(folder))
            val w = SafetensorsWriter()
            for (e in components.getValue(kind)) {
                w.addTensor(e.diffusers, typeOf(kind, e.ldm), ggmlShape(e.diffusersShape), TensorData.of(bytes(kind, e)))
            }
            w.write(sub.resolve(if (kind == ComponentKind.TEXT_ENCODER) "model.safetensors" else "diffusion_pytorch_model.safetensors"))
        }
        return dir
    }

    /** Separate component files as single-component downloads name their tensors: LDM without prefixes, CLIP in HF. */
    fun writeSplitFiles(dir: Path): List<Path> {
        Files.createDirectories(dir)
        return SPLIT_FILES.map { (kind, file) ->
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
                val full = PREFIX.getValue(kind) + name
                SdCppTypeRule.typeFor(full, shapes.getValue(kind to name), DType.F16, targetOf(full))
            })
        }

        private val PREFIX = mapOf(
            ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
            ComponentKind.VAE to "first_stage_model.",
            ComponentKind.TEXT_ENCODER to "cond_stage_model.transformer.",
        )
        private val FOLDERS = linkedMapOf(
            ComponentKind.DIFFUSION_MODEL to "unet",
            ComponentKind.TEXT_ENCODER to "text_encoder",
            ComponentKind.VAE to "vae",
        )
        private val CLASSES = mapOf(
            ComponentKind.DIFFUSION_MODEL to "UNet2DConditionModel",
            ComponentKind.TEXT_ENCODER to "CLIPTextModel",
            ComponentKind.VAE to "AutoencoderKL",
        )
        private val SPLIT_FILES = listOf(
            ComponentKind.DIFFUSION_MODEL to "diffusion_model.safetensors",
            ComponentKind.VAE to "vae.safetensors",
            ComponentKind.TEXT_ENCODER to "clip_l.safetensors",
        )
    }
}
