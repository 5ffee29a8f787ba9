package dev.sdj.core.family.sd

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.TensorRef

/**
 * Checks at open that an SD 1.x/2.x model holds every tensor its text-to-image graphs read, each with the shape those
 * graphs expect, so that a damaged or mismatched file is an error naming the tensor and the file instead of a ggml
 * abort or a silently wrong image (the graphs skip absent biases and shortcuts). The expected tensors are
 * [SdTensorLayout]'s for the architecture the files' own shapes describe ([SdArchitectureReader]); tensors the
 * pipeline never reads (the VAE encoder, CLIP's position ids or projection) stay optional.
 */
class SdModelCheck(private val model: AssembledModel, private val family: SdFamily) {

    /** @param vocabularySize tokens the tokenizer can produce: every id must be a row of the token embedding */
    fun check(vocabularySize: Int) {
        val reader = SdArchitectureReader(model)
        val arch = reader.architecture()
        val layout = SdTensorLayout(arch)
        val text = component(ComponentKind.TEXT_ENCODER)
        val unet = component(ComponentKind.DIFFUSION_MODEL)
        val vae = component(ComponentKind.VAE)
        expect(text, layout.clip())
        expect(unet, layout.unet())
        expect(vae, layout.vae().filter { it.ldm.startsWith("decoder.") || it.ldm.startsWith("post_quant_conv.") })
        // The UNet and VAE graphs walk their blocks while the next one exists: a tensor outside the layout would be read unchecked.
        val unetNames = layout.unet().map { it.ldm }.toSet()
        val vaeNames = layout.vae().map { it.ldm }.toSet()
        unexpected(unet, unet.tensors.keys.filter { it !in unetNames })
        unexpected(vae, vae.tensors.keys.filter { (it.startsWith("decoder.") || it.startsWith("post_quant_conv.")) && it !in vaeNames })

        val embedding = reader.ref(text, TOKEN_EMBEDDING)
        if (vocabularySize > arch.clip.vocabSize) {
            throw ModelFileException(embedding.file.path, embedding.info.name, "the token embedding has ${arch.clip.vocabSize} " +
                "rows but the tokenizer has $vocabularySize tokens: the tokenizer does not belong to this text encoder")
        }
        if (arch.clip.maxPositions < TOKENS) {
            val positions = reader.ref(text, POSITION_EMBEDDING)
            throw ModelFileException(positions.file.path, positions.info.name,
                "${arch.clip.maxPositions} positions, fewer than the $TOKENS tokens of a prompt chunk")
        }
        if (arch.vae.channelMult.size != VAE_LEVELS) {
            val ref = reader.ref(vae, "decoder.conv_out.weight")
            throw ModelFileException(ref.file.path, null, "the VAE decoder has ${arch.vae.channelMult.size} resolution levels; " +
                "SD's latents need $VAE_LEVELS (an 8× upscale)")
        }
        checkGroups(unet, arch.unet.channelMult.map { it * arch.unet.modelChannels }, "input_blocks.0.0.weight")
        checkGroups(vae, arch.vae.channelMult.map { it * arch.vae.channels }, "decoder.conv_out.weight")
        for (level in arch.unet.attentionLevels) {
            val channels = arch.unet.channelMult[level] * arch.unet.modelChannels.toLong()
            val heads = family.unet.heads(channels)
            if (channels % heads != 0L) {
                val ref = reader.ref(unet, "input_blocks.0.0.weight")
                throw ModelFileException(ref.file.path, null, "the UNet's $channels-channel attention layers do not split into " +
                    "$heads heads of ${family.family.label}")
            }
        }
    }

    private fun component(kind: ComponentKind): Component = model.components.getValue(kind)

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
