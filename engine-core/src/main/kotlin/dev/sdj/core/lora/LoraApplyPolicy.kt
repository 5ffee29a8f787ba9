package dev.sdj.core.lora

import dev.sdj.api.InvalidRequestException

/**
 * How LoRAs reach the weights: merged into the device copy as it loads ([LoraPatch]) or added as low-rank graph ops
 * at every product with the weight ([dev.sdj.core.graph.LowRankTerm]). The names and values are stable-diffusion.cpp's
 * `--lora-apply-mode`.
 */
enum class LoraApplyMode(val label: String) {
    /** Per weight, by [LoraApplyPolicy]'s rule. */
    AUTO("auto"),
    /** Merged at load, wherever possible. */
    IMMEDIATELY("immediately"),
    /** As graph ops, wherever possible. */
    AT_RUNTIME("at_runtime");

    companion object {
        fun parse(text: String): LoraApplyMode = entries.firstOrNull { it.label == text }
            ?: throw InvalidRequestException("LoRA apply mode '$text' is none of ${entries.joinToString { it.label }}")
    }
}

/** Which way one weight takes its LoRAs, and why (the words `plan` shows). */
data class LoraPath(val lowRank: Boolean, val why: String)

/**
 * The rule, in one place. Merged where the weight is f32, f16 or bf16: the merge costs a few seconds once per LoRA
 * change and the steps compute exactly what they did without a LoRA, where the low-rank ops cost two more products
 * per adapted layer at every step. Low-rank where the weight is quantized: a merge there dequantizes, adds and
 * quantizes again, so the LoRA's change is rounded to the type's coarse steps (and costs as long again), where the
 * graph ops add it unrounded, from the LoRA file's own values. A LoRA on part of a fused weight (a diffusers Flux LoRA
 * on q of BFL's qkv, [RowSpan]) is always merged: the graph ops add to a whole product; so are LoRAs on a family whose
 * graphs do not read their weights through the layers that add the ops (Flux's projections, today).
 */
object LoraApplyPolicy {
    /**
     * @param graphOps whether the family's graphs take LoRAs as graph ops
     * @param quantizedType the weight's quantized type on the device, null when it is not quantized
     */
    fun path(mode: LoraApplyMode, target: LoraTarget, graphOps: Boolean, quantizedType: String?): LoraPath = when {
        !graphOps -> LoraPath(false, "merged: this family's graphs take no LoRA graph ops yet")
        target.rows != null -> LoraPath(false, "merged: part of a fused weight")
        mode == LoraApplyMode.IMMEDIATELY -> LoraPath(false, "merged: --lora-apply-mode immediately")
        mode == LoraApplyMode.AT_RUNTIME -> LoraPath(true, "low-rank: --lora-apply-mode at_runtime")
        quantizedType != null -> LoraPath(true, "low-rank: $quantizedType weights (a merge would round the change to $quantizedType)")
        else -> LoraPath(false, "merged: unquantized weights (no cost per step)")
    }
}
