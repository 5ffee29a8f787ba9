package dev.sdj.core.family.sd

import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelInput

/**
 * Which text-encoder slot each separate text-encoder file fills. Split downloads carry no component prefix and users
 * pass them in any order, so the files' content decides: SDXL's OpenCLIP bigG is wider than its CLIP-L (1280 against
 * 768) and is the one carrying a text projection, so encoders are ranked by hidden width, then by having a
 * projection, then by the order given; the narrowest is the first text encoder.
 */
internal object TextEncoderSlots {
    private val SLOTS = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.TEXT_ENCODER_3)

    /**
     * The slot of each of [inputs], in their order: null for all but lone Hugging Face text encoders (a diffusers
     * folder's own name says which encoder it holds).
     */
    fun assign(inputs: List<ModelInput>): List<ComponentKind?> {
        val encoders = inputs.withIndex().filter { (_, input) -> input.hint == null && input.names.any { it.startsWith("text_model.") } }
        val ranked = encoders.sortedWith(compareBy({ width(it.value) }, { hasProjection(it.value) }, { it.index }))
        val slots = arrayOfNulls<ComponentKind>(inputs.size)
        ranked.forEachIndexed { rank, input -> slots[input.index] = SLOTS[minOf(rank, SLOTS.size - 1)] }
        return slots.toList()
    }

    /** The hidden width from the token embedding, ggml order [hidden, vocabulary]; 0 when the file lacks it. */
    private fun width(input: ModelInput): Long =
        input.tensors.firstOrNull { it.second.name == SdModelCheck.TOKEN_EMBEDDING }?.second?.shape?.firstOrNull() ?: 0

    private fun hasProjection(input: ModelInput): Boolean = input.names.any { it == SdTensorLayout.TEXT_PROJECTION }
}
