package dev.sdj.core.model.convert

import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelFamily

/**
 * The names a converted file gives canonical tensors: the component prefix of the family's original single-file
 * checkpoint before the canonical name, the layout stable-diffusion.cpp's own converted GGUFs keep. Text encoders keep
 * their canonical Hugging Face names under that prefix (OpenCLIP's fused q/k/v stay split), which the engine's opener
 * reads back to the same canonical names.
 */
object SingleFileNames {
    private val SD = mapOf(
        ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
        ComponentKind.VAE to "first_stage_model.",
        ComponentKind.TEXT_ENCODER to "cond_stage_model.transformer.",
    )
    private val SDXL = mapOf(
        ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
        ComponentKind.VAE to "first_stage_model.",
        ComponentKind.TEXT_ENCODER to "conditioner.embedders.0.transformer.",
        ComponentKind.TEXT_ENCODER_2 to "conditioner.embedders.1.model.",
    )

    /** The single-file prefix of [kind] in [family]; families without a settled single-file naming are refused. */
    fun prefix(family: ModelFamily, kind: ComponentKind): String {
        val prefixes = when (family) {
            ModelFamily.SD1, ModelFamily.SD2 -> SD
            ModelFamily.SDXL -> SDXL
            else -> throw UnsupportedModelException("convert writes SD 1.x, SD 2.x and SDXL models; ${family.label} " +
                "has no single-file naming the converter knows yet")
        }
        return prefixes[kind] ?: throw UnsupportedModelException("a ${family.label} model has no ${kind.label} component to convert")
    }
}
