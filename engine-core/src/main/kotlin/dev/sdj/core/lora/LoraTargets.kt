package dev.sdj.core.lora

import dev.sdj.core.model.ComponentKind

/**
 * Where a LoRA's up·down lands in a weight that holds only part of what the LoRA adapts, or holds it beside other
 * rows: rows [loraFirst, loraFirst + count) of up·down are added to rows [tensorFirst, tensorFirst + count) of the
 * weight. A diffusers Flux LoRA adapts q, k and v separately where Black Forest Labs' weights fuse them into one
 * tensor, and the other way round.
 *
 * @param loraRows the rows the LoRA's up must have (the output features of the weight it was trained on)
 * @param tensorRows the rows of the model's weight
 */
data class RowSpan(val loraFirst: Int, val tensorFirst: Int, val count: Int, val loraRows: Int, val tensorRows: Int) {
    init {
        require(count > 0 && loraFirst >= 0 && tensorFirst >= 0 && loraFirst + count <= loraRows && tensorFirst + count <= tensorRows) {
            "rows [$loraFirst, ${loraFirst + count}) of $loraRows onto [$tensorFirst, ${tensorFirst + count}) of $tensorRows"
        }
    }
}

/** The weight a LoRA key adapts: its component and canonical tensor name, and with [rows] the part of it. */
data class LoraTarget(val component: ComponentKind, val tensor: String, val rows: RowSpan? = null)

/**
 * A family's map from the names LoRA files give weights to the model's own tensors. Files name the same weight in
 * several ways (kohya's `lora_unet_…` with the original or the diffusers layer names, diffusers/PEFT `unet.…`), and
 * the model may have been opened from any layout, so the family derives every name from its canonical tensors.
 */
fun interface LoraTargets {
    /** The weights (or parts of weights) [key] (a layer key of [LoraLayer.key]) adapts; empty when the model has none by that name. */
    fun targets(key: String): List<LoraTarget>

    companion object {
        /** The forms a file may write [key] in, as stable-diffusion.cpp looks them up: as it is, after `lora.`, and each with its dots as underscores (kohya's form). */
        fun spellings(key: String): List<String> = listOf(key, "lora.$key").flatMap { listOf(it, it.replace('.', '_')) }
    }
}
