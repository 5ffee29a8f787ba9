package dev.sdj.core.family.sd

import dev.sdj.core.lora.LoraTarget
import dev.sdj.core.lora.LoraTargets
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind

/**
 * The names LoRA files give an SD 1.x/2.x/SDXL model's weights, derived from its canonical tensors (LDM names for the
 * UNet, Hugging Face names for the text encoders) whatever layout the model was opened from:
 * - kohya/A1111: `lora_unet_` + the UNet layer's LDM name (SDXL trainers) or diffusers name (SD 1.x/2.x trainers) with
 *   dots as underscores; `lora_te_` (or `lora_te1_`) and `lora_te2_` + the text encoder's Hugging Face name likewise;
 * - diffusers/PEFT: `unet.` + the diffusers name (also with attention processors' `processor.to_q` … `processor.to_out`),
 *   `text_encoder.` and `text_encoder_2.` + the Hugging Face name;
 * - stable-diffusion.cpp's and ComfyUI's: the single-file checkpoint name (`model.diffusion_model.…`,
 *   `diffusion_model.…`, `cond_stage_model.transformer.…`), dotted or underscored, optionally after `lora.`.
 * Some SDXL LoRAs (lcm-lora-xl) name the first upsampler `output_blocks_2_1_conv` where the model has
 * `output_blocks.2.2.conv`; that name is accepted too, as stable-diffusion.cpp does.
 */
class SdLoraTargets(model: AssembledModel) : LoraTargets {
    private val byKey = HashMap<String, LoraTarget>()

    init {
        val layout = SdTensorLayout(SdArchitectureReader(model).architecture())
        val diffusers = layout.unet().associate { it.ldm to it.diffusers }
        for ((kind, component) in model.components) {
            for ((name, ref) in component.tensors) {
                if (!name.endsWith(".weight") || ref.shape.size < 2) continue
                val target = LoraTarget(kind, name)
                val base = name.removeSuffix(".weight")
                when (kind) {
                    ComponentKind.DIFFUSION_MODEL -> unetKeys(base, diffusers[name]?.removeSuffix(".weight")).forEach { add(it, target) }
                    ComponentKind.TEXT_ENCODER -> listOf("lora_te_", "lora_te1_", "text_encoder.", "cond_stage_model.transformer.",
                        "conditioner.embedders.0.transformer.").forEach { add(it + base, target) }
                    ComponentKind.TEXT_ENCODER_2 -> listOf("lora_te2_", "text_encoder_2.").forEach { add(it + base, target) }
                    else -> {}
                }
            }
        }
    }

    private fun unetKeys(ldm: String, diffusers: String?): List<String> {
        val keys = arrayListOf("lora_unet_$ldm", "model.diffusion_model.$ldm", "diffusion_model.$ldm")
        if (diffusers != null) {
            keys += listOf("lora_unet_$diffusers", "unet.$diffusers")
            PROCESSOR.matchEntire(diffusers)?.let { m -> keys += "unet.${m.groupValues[1]}.processor.${m.groupValues[2]}" }
        }
        UPSAMPLER_SLOT_2.matchEntire(ldm)?.let { m -> keys += "lora_unet_output_blocks_${m.groupValues[1]}_1_conv" }
        return keys
    }

    private fun add(key: String, target: LoraTarget) {
        for (k in LoraTargets.spellings(key)) byKey.putIfAbsent(k, target)
    }

    override fun targets(key: String): List<LoraTarget> = listOfNotNull(byKey[key])

    private companion object {
        val PROCESSOR = Regex("""(.+\.attn[12])\.(to_[qkv]|to_out)(?:\.0)?""")
        val UPSAMPLER_SLOT_2 = Regex("""output_blocks\.(\d+)\.2\.conv""")
    }
}
