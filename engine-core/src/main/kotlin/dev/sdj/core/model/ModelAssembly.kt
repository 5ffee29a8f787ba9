package dev.sdj.core.model

import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.flux.FluxWeights
import dev.sdj.core.family.ltx2.Ltx2Weights
import dev.sdj.core.family.sd.SdWeights
import dev.sdj.core.model.gguf.GgufFile
import java.nio.file.Path

/** A model as the engine understands it: its family, its components under canonical names, its tokenizers. */
data class AssembledModel(
    val family: ModelFamily,
    val components: Map<ComponentKind, Component>,
    val ignoredTensors: List<String>,
    val tokenizers: Map<ComponentKind, TokenizerSource>,
    val inputs: List<ModelInput>,
) {
    /** The opened GGUF at [path] among the inputs: where a tokenizer source read from GGUF metadata points. */
    fun gguf(path: Path): GgufFile? =
        inputs.asSequence().mapNotNull { it.tensors.firstOrNull()?.first as? GgufFile }.firstOrNull { it.path == path }
}

/** Recognises the family from tensor names across all inputs and splits the inputs into components. */
object ModelAssembly {

    fun assemble(opened: ModelOpener.Opened): AssembledModel {
        val names = opened.inputs.flatMap { it.names }
        val (family, split) = when {
            // Checked before the SD family: their checkpoints also use the "model.diffusion_model." prefix.
            Ltx2Weights.claims(opened.inputs) -> ModelFamily.LTX2 to Ltx2Weights.split(opened.inputs)
            FluxWeights.claims(names) -> ModelFamily.FLUX to FluxWeights.split(opened.inputs)
            SdWeights.claims(names) -> {
                val split = SdWeights.split(opened.inputs)
                val unet = split.first[ComponentKind.DIFFUSION_MODEL] ?: throw missingDiffusionModel(split.first)
                val family = SdWeights.family(split.first) ?: throw unsupported(unet.tensors.keys)
                family to split
            }
            Ltx2Weights.holdsGemma(names) -> throw UnsupportedModelException("the inputs hold a Gemma-3 text encoder and nothing " +
                "it conditions: for LTX-2, pass it together with the LTX-2.3 checkpoint (which holds the text connectors) and " +
                "the *_embeddings_connectors.safetensors")
            else -> throw unsupported(names)
        }
        val (components, ignored) = split
        // LTX-2's conditioning runs from Gemma and the connectors alone; its pipeline checks for what it needs
        if (family != ModelFamily.LTX2 && ComponentKind.DIFFUSION_MODEL !in components) throw missingDiffusionModel(components)
        val tokenizers = when (family) {
            ModelFamily.LTX2 -> listOfNotNull(opened.gemmaTokenizer?.let { ComponentKind.TEXT_ENCODER to it }).toMap()
            ModelFamily.SDXL -> SdWeights.sdxlTokenizers(forFamily(family, opened.tokenizers))
            else -> forFamily(family, opened.tokenizers)
        }
        return AssembledModel(family, components, ignored, tokenizers, opened.inputs)
    }

    /**
     * The second text encoder is T5 in Flux and CLIP elsewhere: a source of the other kind found for that slot (a
     * --t5-tokenizer given for an SDXL model, say) serves nothing and is dropped, so the slot falls back as usual.
     */
    private fun forFamily(family: ModelFamily, found: Map<ComponentKind, TokenizerSource>): Map<ComponentKind, TokenizerSource> {
        val second = found[ComponentKind.TEXT_ENCODER_2] ?: return found
        val wantsT5 = family == ModelFamily.FLUX
        return if ((second is TokenizerSource.T5) == wantsT5) found else found - ComponentKind.TEXT_ENCODER_2
    }

    private fun unsupported(names: Collection<String>) = UnsupportedModelException(
        "unsupported model: the tensor names match none of " + ModelFamily.entries.joinToString { it.label } +
            if (names.isEmpty()) " (the files hold no tensors)" else " (first names: " + names.take(5).joinToString() + ")")

    private fun missingDiffusionModel(components: Map<ComponentKind, Component>) = UnsupportedModelException(
        "no diffusion model among the inputs (found: " +
            (components.keys.joinToString { it.label }.ifEmpty { "no recognised component" }) +
            "); pass the checkpoint, or the diffusion model file together with the others")
}
