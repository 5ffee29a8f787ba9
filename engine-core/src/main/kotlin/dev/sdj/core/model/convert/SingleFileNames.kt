package dev.sdj.core.model.convert

import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelFamily

/**
 * The names a converted file gives canonical tensors: the component prefix of the family's original single-file
 * checkpoint before the canonical name, the layout stable-diffusion.cpp's own converted GGUFs keep. CLIP-L keeps its
 * Hugging Face names under that prefix; the OpenCLIP encoders (SD 2.x's, SDXL's second) get OpenCLIP's names with q/k/v
 * fused again ([OpenClipTensors]), as stable-diffusion.cpp reads them; the opener reads both back to the same
 * canonical names. Flux gets the names sd.cpp reads for a Flux single file: the DiT in Black
 * Forest Labs' names ([BflFluxDit] renames a diffusers one), CLIP-L and T5-XXL under `text_encoders.`, the autoencoder
 * under `first_stage_model.`.
 */
object SingleFileNames {
    private val SD1 = mapOf(
        ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
        ComponentKind.VAE to "first_stage_model.",
        ComponentKind.TEXT_ENCODER to "cond_stage_model.transformer.",
    )
    private val SD2 = SD1 + (ComponentKind.TEXT_ENCODER to "cond_stage_model.model.")
    private val OPEN_CLIP_PREFIXES = setOf("cond_stage_model.model.", "conditioner.embedders.1.model.")
    private val SDXL = mapOf(
        ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
        ComponentKind.VAE to "first_stage_model.",
        ComponentKind.TEXT_ENCODER to "conditioner.embedders.0.transformer.",
        ComponentKind.TEXT_ENCODER_2 to "conditioner.embedders.1.model.",
    )
    private val FLUX = mapOf(
        ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
        ComponentKind.VAE to "first_stage_model.",
        ComponentKind.TEXT_ENCODER to "text_encoders.clip_l.transformer.",
        ComponentKind.TEXT_ENCODER_2 to "text_encoders.t5xxl.transformer.",
    )

    /** The single-file prefix of [kind] in [family]; families without a settled single-file naming are refused. */
    fun prefix(family: ModelFamily, kind: ComponentKind): String {
        val prefixes = when (family) {
            ModelFamily.SD1 -> SD1
            ModelFamily.SD2 -> SD2
            ModelFamily.SDXL -> SDXL
            ModelFamily.FLUX -> FLUX
            else -> throw UnsupportedModelException("convert writes SD 1.x, SD 2.x, SDXL and Flux models; ${family.label} " +
                "has no single-file naming the converter knows yet")
        }
        return prefixes[kind] ?: throw UnsupportedModelException("a ${family.label} model has no ${kind.label} component to convert")
    }

    /** Every tensor of [model] as the converted file names and shapes it, component by component. */
    fun tensors(model: AssembledModel): List<ConvertedTensor> = model.components.flatMap { (kind, component) ->
        val prefix = prefix(model.family, kind)
        val tensors = when {
            model.family == ModelFamily.FLUX && kind == ComponentKind.DIFFUSION_MODEL && BflFluxDit.isDiffusers(component) -> BflFluxDit.tensors(component)
            prefix in OPEN_CLIP_PREFIXES -> OpenClipTensors.tensors(component)
            else -> component.tensors.map { (name, ref) -> ConvertedTensor(name, ref.shape, listOf(ref)) }
        }
        tensors.map { it.copy(name = prefix + it.name) }
    }
}
