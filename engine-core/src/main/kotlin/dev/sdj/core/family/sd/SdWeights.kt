package dev.sdj.core.family.sd

import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelInput
import dev.sdj.core.model.TensorRef
import dev.sdj.core.model.TokenizerSource

/**
 * Splits SD-family inputs (SD1.x, SD2.x, SDXL) into components under canonical names: the original LDM checkpoint
 * names without their component prefix (UNet `input_blocks.…`, VAE `encoder.down.…`) and Hugging Face names for
 * text encoders (`text_model.…`), OpenCLIP ones included ([OpenClipNames]).
 * Accepts LDM single files, diffusers folders and split component files, which all resolve to the same names; split
 * text encoders take their slot from their content ([TextEncoderSlots]). One difference survives: SDXL's bigG
 * projection is `text_projection.weight` from Hugging Face files and its transpose `text_projection` from original ones.
 */
object SdWeights {

    /** Component prefixes of LDM single-file checkpoints (SD1/SD2 and SDXL). */
    private val SINGLE_FILE_PREFIXES = listOf(
        "model.diffusion_model." to ComponentKind.DIFFUSION_MODEL,
        "first_stage_model." to ComponentKind.VAE,
        "cond_stage_model.transformer." to ComponentKind.TEXT_ENCODER,
        "cond_stage_model.model." to ComponentKind.TEXT_ENCODER,
        "conditioner.embedders.0.transformer." to ComponentKind.TEXT_ENCODER,
        "conditioner.embedders.1.model." to ComponentKind.TEXT_ENCODER_2,
    )

    private val LDM_UNET_ROOTS = listOf("input_blocks.", "middle_block.", "output_blocks.", "time_embed.", "out.", "label_emb.")

    /** Whether the names look like an SD-family model or one of its parts. */
    fun claims(names: Collection<String>): Boolean = names.any { n ->
        SINGLE_FILE_PREFIXES.any { n.startsWith(it.first) } || n.startsWith("input_blocks.") ||
            n.startsWith("down_blocks.") || n.startsWith("encoder.down") || n.startsWith("text_model.encoder.")
    }

    /** The components of [inputs], plus the names of tensors that belong to none (EMA copies, schedules). */
    fun split(inputs: List<ModelInput>): Pair<Map<ComponentKind, Component>, List<String>> {
        val byKind = LinkedHashMap<ComponentKind, LinkedHashMap<String, TensorRef>>()
        val ignored = ArrayList<String>()
        val textSlots = TextEncoderSlots.assign(inputs)
        for ((index, input) in inputs.withIndex()) {
            val names = input.names
            val unet = if (DiffusersUnetNames.looksLikeDiffusersUnet(names)) DiffusersUnetNames(names) else null
            val vae = if (DiffusersVaeNames.looksLikeDiffusersVae(names)) DiffusersVaeNames(names) else null
            val textKind = textSlots[index]
            for ((file, info) in input.tensors) {
                val placed = classify(info.name, input.hint, textKind, unet, vae)
                if (placed == null) {
                    ignored.add(info.name)
                    continue
                }
                val (kind, canonical) = placed
                val ref = if (kind == ComponentKind.VAE && vae != null && DiffusersVaeNames.reshapedToConv(canonical) && info.shape.size == 2) {
                    TensorRef(file, info, shape = listOf(1L, 1L) + info.shape)
                } else {
                    TensorRef(file, info)
                }
                val tensors = byKind.getOrPut(kind) { LinkedHashMap() }
                if (tensors.put(canonical, ref) != null) {
                    throw dev.sdj.api.ModelFileException(file.path, info.name,
                        "two inputs give the ${kind.label} tensor '$canonical'; pass each component once")
                }
            }
        }
        return byKind.mapValues { (kind, tensors) -> Component(kind, huggingFaceText(tensors, ignored)) } to ignored
    }

    /** Text encoders in OpenCLIP naming get the Hugging Face names every CLIP graph uses; the rest goes to [ignored]. */
    private fun huggingFaceText(tensors: Map<String, TensorRef>, ignored: MutableList<String>): Map<String, TensorRef> {
        if (!OpenClipNames.isOpenClip(tensors.keys)) return tensors
        val out = LinkedHashMap<String, TensorRef>()
        for ((name, ref) in tensors) {
            val renamed = OpenClipNames.toHuggingFace(name, ref)
            if (renamed.isEmpty()) ignored.add(ref.info.name)
            renamed.forEach { (n, r) -> out[n] = r }
        }
        return out
    }

    private fun classify(
        name: String,
        hint: ComponentKind?,
        textKind: ComponentKind?,
        unet: DiffusersUnetNames?,
        vae: DiffusersVaeNames?,
    ): Pair<ComponentKind, String>? {
        when (hint) {
            ComponentKind.DIFFUSION_MODEL -> return unet?.canonical(name)?.let { hint to it }
            ComponentKind.VAE -> return (vae?.canonical(name) ?: ldmVae(name))?.let { hint to it }
            ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.TEXT_ENCODER_3 ->
                return if (name.startsWith("text_model.") || name == "text_projection.weight") hint to name else null
            else -> {}
        }
        for ((prefix, kind) in SINGLE_FILE_PREFIXES) {
            if (name.startsWith(prefix)) return kind to name.removePrefix(prefix)
        }
        if (LDM_UNET_ROOTS.any { name.startsWith(it) }) return ComponentKind.DIFFUSION_MODEL to name
        unet?.canonical(name)?.let { return ComponentKind.DIFFUSION_MODEL to it }
        (vae?.canonical(name) ?: ldmVae(name))?.let { return ComponentKind.VAE to it }
        if (textKind != null && (name.startsWith("text_model.") || name == "text_projection.weight")) return textKind to name
        return null
    }

    private fun ldmVae(name: String): String? =
        name.takeIf { n -> listOf("encoder.", "decoder.", "quant_conv.", "post_quant_conv.").any { n.startsWith(it) } }

    /**
     * The tokenizers of an SDXL model from those found with its files: its two CLIP encoders tokenize with the
     * same BPE vocabulary (diffusers' tokenizer_2 differs only in its pad token), so a single source — a GGUF file's
     * metadata, the user's folder — serves the second encoder too.
     */
    fun sdxlTokenizers(found: Map<ComponentKind, TokenizerSource>): Map<ComponentKind, TokenizerSource> {
        val first = found[ComponentKind.TEXT_ENCODER]
        if (first == null || ComponentKind.TEXT_ENCODER_2 in found) return found
        return found + (ComponentKind.TEXT_ENCODER_2 to first)
    }

    /**
     * SD1.x, SD2.x or SDXL from the diffusion model's structure (not its sizes, so tiny test models are told apart
     * the same way): SDXL has the added-condition embedding (label_emb); SD2.x projects into its transformers with
     * linear layers where SD1.x uses 1×1 convolutions, and conditions on OpenCLIP.
     */
    fun family(components: Map<ComponentKind, Component>): ModelFamily? {
        val unet = components[ComponentKind.DIFFUSION_MODEL] ?: return null
        if (unet.tensors.keys.any { it.startsWith("label_emb.") }) return ModelFamily.SDXL
        val projIn = unet.tensors.entries.firstOrNull { it.key.endsWith(".proj_in.weight") } ?: return null
        return if (projIn.value.shape.size == 2) ModelFamily.SD2 else ModelFamily.SD1
    }
}
