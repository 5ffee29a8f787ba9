package dev.sdj.core.family.sd

import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ModelFamily

/**
 * What differs between SD 1.x and SD 2.x beyond the weights: attention heads, the text encoder's activation and
 * default clip skip, the pad token, the latent scale factor, and the usual prediction type.
 */
data class SdFamily(
    val family: ModelFamily,
    val unet: SdUnet,
    val textEncoder: ClipTextEncoder,
    /** The clip skip used when the request leaves it to the model, given the text encoder's layer count. */
    val defaultClipSkip: (layers: Int) -> Int,
    /** SD 1.x pads prompts with the end token, SD 2.x's OpenCLIP with token 0. */
    val padWithEos: Boolean,
    val latentScale: Float,
    /** SD 2.x's 768 models predict v; its 512 "base" models and SD 1.x predict ε. */
    val defaultVPrediction: Boolean,
) {
    /**
     * Refuses, at open, a model whose tensors do not make the graphs this family builds, or whose tokenizer has more
     * tokens than its embedding has rows: each a [dev.sdj.api.ModelFileException] naming the tensor and the file.
     */
    fun check(model: AssembledModel, vocabularySize: Int) = SdModelCheck(model, unet.heads, family.label).check(vocabularySize)

    companion object {
        /**
         * SD 2.x conditions on the penultimate of OpenCLIP-H's 24 layers; diffusers' copy of the encoder already drops
         * the last layer, so there its own last layer is the one.
         */
        private val PENULTIMATE_OF_24: (Int) -> Int = { layers -> if (layers >= 24) 2 else 1 }

        fun of(family: ModelFamily): SdFamily = when (family) {
            ModelFamily.SD1 -> SdFamily(family, SdUnet.SD1, ClipTextEncoder(quickGelu = true), { 1 }, true, 0.18215f, false)
            ModelFamily.SD2 -> SdFamily(family, SdUnet.SD2, ClipTextEncoder(quickGelu = false), PENULTIMATE_OF_24, false, 0.18215f, true)
            else -> throw IllegalArgumentException("${family.label} has no text-to-image pipeline yet")
        }
    }
}
