package dev.sdj.core.family.sd

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.TensorRef

/**
 * Checks at open that an SD 1.x/2.x or SDXL model holds every tensor its text-to-image graphs read, each with the shape
 * those graphs expect, so that a damaged or mismatched file is an error naming the tensor and the file instead of a
 * ggml abort or a silently wrong image (the graphs skip absent biases and shortcuts). The expected tensors are
 * [SdTensorLayout]'s for the architecture the files' own shapes describe ([SdArchitectureReader]); tensors the
 * pipeline never reads (CLIP's position ids, the first encoder's projection) stay optional, and so does the VAE
 * encoder, which only image-to-image reads: a decoder-only VAE is fine, an encoder that is there must be whole.
 *
 * @param heads the family's attention heads for a layer of the given channel count
 * @param familyLabel names the family in errors about its head layout
 */
class SdModelCheck(private val model: AssembledModel, private val heads: (channels: Long) -> Int, private val familyLabel: String) {

    /** @param vocabularySize tokens the tokenizer can produce: every id must be a row of each token embedding */
    fun check(vocabularySize: Int) {
        val reader = SdArchitectureReader(model)
        val arch = reader.architecture()
        val layout = SdTensorLayout(arch)
        val text = reader.component(ComponentKind.TEXT_ENCODER)
        val unet = reader.component(ComponentKind.DIFFUSION_MODEL)
        val vae = reader.component(ComponentKind.VAE)
        expect(text, layout.clip())
        val encoders = arrayListOf(text to arch.clip)
        arch.clip2?.let { clip2 ->
            val text2 = reader.component(ComponentKind.TEXT_ENCODER_2)
            expect(text2, layout.clip2().filter { it.ldm != SdTensorLayout.TEXT_PROJECTION } + projection(text2, clip2))
            checkContext(unet, arch)
            checkAddedConditions(reader.ref(unet, SdArchitectureReader.ADM_IN), arch.unet.admInChannels!!, clip2.projection!!)
            encoders.add(text2 to clip2)
        }
        expect(unet, layout.unet())
        expect(vae, layout.vae().filter { it.ldm.startsWith("decoder.") || it.ldm.startsWith("post_quant_conv.") })
        // The UNet and VAE graphs walk their blocks while the next one exists: a tensor outside the layout would be read unchecked.
        val unetNames = layout.unet().map { it.ldm }.toSet()
        val vaeNames = layout.vae().map { it.ldm }.toSet()
        unexpected(unet, unet.tensors.keys.filter { it !in unetNames })
        unexpected(vae, vae.tensors.keys.filter { (it.startsWith("decoder.") || it.startsWith("post_quant_conv.")) && it !in vaeNames })
        if (vae.tensors.keys.any { it.startsWith("encoder.") }) {
            // quant_conv is read when it is there (Flux's encoder has none).
            expect(vae, layout.vae().filter { it.ldm.startsWith("encoder.") || (it.ldm.startsWith("quant_conv.") && it.ldm in vae.tensors) })
            unexpected(vae, vae.tensors.keys.filter { (it.startsWith("encoder.") || it.startsWith("quant_conv.")) && it !in vaeNames })
        }

        for ((component, clip) in encoders) checkTokens(reader, component, clip, vocabularySize)
        if (arch.vae.channelMult.size != VAE_LEVELS) {
            val ref = reader.ref(vae, "decoder.conv_out.weight")
            throw ModelFileException(ref.file.path, null, "the VAE decoder has ${arch.vae.channelMult.size} resolution levels; " +
                "SD's latents need $VAE_LEVELS (an 8× upscale)")
        }
        checkGroups(unet, arch.unet.channelMult.map { it * arch.unet.modelChannels }, "input_blocks.0.0.weight")
        checkGroups(vae, arch.vae.channelMult.map { it * arch.vae.channels }, "decoder.conv_out.weight")
        for (level in arch.unet.attentionLevels) {
            val channels = arch.unet.channelMult[level] * arch.unet.modelChannels.toLong()
            val heads = heads(channels)
            if (channels % heads != 0L) {
                val ref = reader.ref(unet, "input_blocks.0.0.weight")
                throw ModelFileException(ref.file.path, null, "the UNet's $channels-channel attention layers do not split into " +
                    "$heads heads of $familyLabel")
            }
        }
    }

    private fun checkTokens(reader: SdArchitectureReader, text: Component, clip: SdArchitecture.Clip, vocabularySize: Int) {
        val embedding = reader.ref(text, TOKEN_EMBEDDING)
        if (vocabularySize > clip.vocabSize) {
            throw ModelFileException(embedding.file.path, embedding.info.name, "the token embedding has ${clip.vocabSize} " +
                "rows but the tokenizer has $vocabularySize tokens: the tokenizer does not belong to this text encoder")
        }
        if (clip.maxPositions < TOKENS) {
            val positions = reader.ref(text, POSITION_EMBEDDING)
            throw ModelFileException(positions.file.path, positions.info.name,
                "${clip.maxPositions} positions, fewer than the $TOKENS tokens of a prompt chunk")
        }
    }

    /** The bigG projection as stored: Hugging Face's [out, in] or OpenCLIP's transpose. */
    private fun projection(text2: Component, clip: SdArchitecture.Clip): SdTensorLayout.Entry {
        val hidden = clip.hidden.toLong()
        val out = clip.projection!!.toLong()
        return if (SdTensorLayout.TEXT_PROJECTION in text2.tensors) {
            SdTensorLayout.Entry(SdTensorLayout.TEXT_PROJECTION, SdTensorLayout.TEXT_PROJECTION, listOf(out, hidden))
        } else {
            SdTensorLayout.Entry(SdTensorLayout.OPEN_CLIP_PROJECTION, SdTensorLayout.OPEN_CLIP_PROJECTION, listOf(hidden, out))
        }
    }

    /** SDXL's UNet attends to both encoders' hidden states side by side: its context width must be their sum. */
    private fun checkContext(unet: Component, arch: SdArchitecture) {
        val (name, ref) = unet.tensors.entries.firstOrNull { it.key.endsWith(".attn2.to_k.weight") } ?: return
        val context = ref.shape.first()
        if (context != arch.textWidth.toLong()) {
            throw ModelFileException(ref.file.path, ref.info.name, "the UNet's cross-attention takes $context-wide text states, " +
                "but its text encoders give ${arch.clip.hidden} + ${arch.clip2!!.hidden} = ${arch.textWidth}: the text encoders " +
                "do not belong to this UNet" + canonical(ref, name))
        }
    }

    /** SDXL's added conditions: the pooled, projected bigG embedding and the six size conditions. */
    private fun checkAddedConditions(admIn: TensorRef, width: Int, pooled: Int) {
        val expected = pooled + SdArchitecture.SDXL_SIZE_CONDITIONS
        if (width != expected) {
            throw ModelFileException(admIn.file.path, admIn.info.name, "takes $width inputs, where SDXL's added conditions are " +
                "the $pooled-wide pooled text embedding and ${SdArchitecture.SDXL_SIZE_CONDITIONS} of size embeddings " +
                "($expected): the second text encoder does not belong to this UNet" + canonical(admIn, SdArchitectureReader.ADM_IN))
        }
    }

    private fun expect(component: Component, entries: List<SdTensorLayout.Entry>) {
        for (entry in entries) {
            val ref = component.tensors[entry.ldm] ?: throw missing(component, entry.ldm)
            val expected = entry.torchShape.reversed()
            if (ref.shape != expected) {
                throw ModelFileException(ref.file.path, ref.info.name, "shape ${torch(ref.shape)} where the model's other tensors " +
                    "make the ${component.kind.label} read ${torch(expected)}" + canonical(ref, entry.ldm))
            }
            // Quantized types are fine anywhere, vectors included (sd.cpp's converter quantizes norm scales): the loader
            // dequantizes whatever the device's ops do not take.
            if (!ref.type.isFloat && !ref.type.isQuantized) {
                throw ModelFileException(ref.file.path, ref.info.name, "stored as ${ref.type}: parameters must be floating point" +
                    canonical(ref, entry.ldm))
            }
        }
    }

    private fun unexpected(component: Component, names: List<String>) {
        val name = names.firstOrNull() ?: return
        val ref = component.tensors.getValue(name)
        throw ModelFileException(ref.file.path, ref.info.name, "not part of the SD ${component.kind.label} its other tensors " +
            "describe (${names.size} such tensor${if (names.size > 1) "s" else ""})" + canonical(ref, name))
    }

    private fun checkGroups(component: Component, channels: List<Int>, anchor: String) {
        val bad = channels.firstOrNull { it % GROUPS != 0 } ?: return
        val ref = component.tensors.getValue(anchor)
        throw ModelFileException(ref.file.path, null, "the ${component.kind.label}'s $bad-channel layers do not split into the " +
            "$GROUPS normalisation groups SD uses")
    }

    private fun canonical(ref: TensorRef, name: String) = if (ref.info.name.endsWith(name)) "" else " (read as '$name')"

    private fun torch(ggml: List<Long>) = ggml.reversed().joinToString(", ", "[", "]")

    companion object {
        const val TOKEN_EMBEDDING = "text_model.embeddings.token_embedding.weight"
        const val POSITION_EMBEDDING = "text_model.embeddings.position_embedding.weight"

        /** Checks an SDXL model: its UNet, like SD 2.x's, has attention heads of 64 channels. */
        fun sdxl(model: AssembledModel): SdModelCheck = SdModelCheck(model, SdUnet.SD2.heads, ModelFamily.SDXL.label)

        /** Tokens per text-encoder pass. */
        const val TOKENS = 77
        private const val GROUPS = 32
        private const val VAE_LEVELS = 4

        fun missing(component: Component, name: String): ModelFileException {
            val files = component.tensors.values.map { it.file.path }.distinct()
            return ModelFileException(files.first(), name, "missing: the ${component.kind.label} needs it" +
                if (files.size > 1) " (its tensors come from ${files.joinToString()})" else "")
        }
    }
}
