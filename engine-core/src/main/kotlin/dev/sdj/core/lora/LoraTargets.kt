package dev.sdj.core.lora

import dev.sdj.core.model.ComponentKind

/** The weight a LoRA key adapts: its component and canonical tensor name. */
data class LoraTarget(val component: ComponentKind, val tensor: String)

/**
 * A family's map from the names LoRA files give weights to the model's own tensors. Files name the same weight in
 * several ways (kohya's `lora_unet_…` with the original or the diffusers layer names, diffusers/PEFT `unet.…`), and
 * the model may have been opened from any layout, so the family derives every name from its canonical tensors.
 */
fun interface LoraTargets {
    /** The weight [key] (a layer key of [LoraLayer.key]) adapts, or null when the model has none by that name. */
    fun target(key: String): LoraTarget?
}
