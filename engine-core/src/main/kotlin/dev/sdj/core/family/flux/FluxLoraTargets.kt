package dev.sdj.core.family.flux

import dev.sdj.core.lora.LoraTarget
import dev.sdj.core.lora.LoraTargets
import dev.sdj.core.lora.RowSpan
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind

/**
 * The names LoRA files give a Flux.1 model's weights, whichever layout the model was opened from:
 * - Black Forest Labs' DiT names: kohya's `lora_unet_double_blocks_0_img_attn_qkv`, `diffusion_model.…` and
 *   `model.diffusion_model.…` (ComfyUI, stable-diffusion.cpp), dotted or underscored, optionally after `lora.`;
 * - diffusers' names: `transformer.transformer_blocks.0.attn.to_q` (PEFT, ai-toolkit) and `lora_transformer_…`;
 * - the text encoders: `lora_te1_`/`text_encoder.` + CLIP-L's Hugging Face name, `lora_te3_` (kohya's prefix for T5)
 *   /`text_encoder_2.` + T5's, and the all-in-one checkpoint's `text_encoders.clip_l.transformer.`/`text_encoders.t5xxl.transformer.`.
 *
 * Both DiT namings are placed in the rows of Black Forest Labs' tensors ([DiffusersFluxNames]): a diffusers LoRA on
 * to_q, to_k or to_v (or a single block's proj_mlp) adds to its row range of the fused qkv (linear1), as
 * stable-diffusion.cpp's split-qkv merge does; a BFL LoRA on a fused tensor is split the same way over a diffusers
 * model's separate q, k and v. The final modulation's two halves are in the other order in diffusers' norm_out, so a
 * LoRA in one naming adds its halves crosswise to a model in the other.
 */
class FluxLoraTargets(model: AssembledModel) : LoraTargets {
    /** Rows [local, local + count) of a tensor or LoRA hold rows [bfl, bfl + count) of a BFL tensor. */
    private class Span(val name: String, val local: Int, val bfl: Int, val count: Int, val rows: Int)

    /** Per BFL weight, the spans of it the model's tensors hold. */
    private val held = HashMap<String, List<Span>>()

    private val byKey = HashMap<String, List<LoraTarget>>()

    init {
        val dit = model.components[ComponentKind.DIFFUSION_MODEL]
        if (dit != null) {
            val shapes = dit.tensors.filter { (name, ref) -> name.endsWith(".weight") && ref.shape.size >= 2 }.mapValues { it.value.shape }
            val diffusers = "x_embedder.weight" in shapes
            val hidden = shapes[if (diffusers) "x_embedder.weight" else "img_in.weight"]?.last()
            if (hidden != null) ditKeys(shapes, diffusers, DiffusersFluxNames(hidden))
        }
        val encoders = mapOf(
            ComponentKind.TEXT_ENCODER to listOf("lora_te1_", "lora_te_", "text_encoder.", "text_encoders.clip_l.transformer."),
            ComponentKind.TEXT_ENCODER_2 to listOf("lora_te3_", "text_encoder_2.", "text_encoders.t5xxl.transformer."),
        )
        for ((kind, prefixes) in encoders) {
            for ((name, ref) in model.components[kind]?.tensors ?: continue) {
                if (!name.endsWith(".weight") || ref.shape.size < 2) continue
                for (prefix in prefixes) add(prefix + name.removeSuffix(".weight"), listOf(LoraTarget(kind, name)))
            }
        }
    }

    /**
     * Every BFL weight as the model holds it (its own tensor, or diffusers' parts of it), and the keys of both
     * namings with the spans they adapt.
     */
    private fun ditKeys(shapes: Map<String, List<Long>>, diffusers: Boolean, names: DiffusersFluxNames) {
        // BFL weight → (rows, cols), gathered from the parts where the model has diffusers' tensors.
        val bfl = LinkedHashMap<String, Pair<Long, Long>>()
        for ((name, shape) in shapes) {
            val rows = shape.last()
            val cols = shape.dropLast(1).fold(1L) { a, b -> a * b }
            val whole = if (diffusers) DiffusersFluxNames.origin(name)?.bfl ?: continue else name
            val known = bfl[whole]
            bfl[whole] = if (diffusers && known != null) (known.first + rows) to cols else rows to cols
        }
        for ((weight, size) in bfl) {
            val parts = try {
                names.parts(FluxTensorLayout.Entry(weight, listOf(size.first, size.second)))
            } catch (e: IllegalArgumentException) {
                continue // a tensor the DiT does not read (an extra in the file): no LoRA names it
            }
            val rows = size.first.toInt()
            val partSpans = parts.map { spans(it.name, it.firstRow.toInt(), it.torchShape[0].toInt(), rows, it.halvesSwapped) }
            held[weight] = if (diffusers) partSpans.flatten() else listOf(Span(weight, 0, 0, rows, rows))
            val base = weight.removeSuffix(".weight")
            val whole = listOf(Span(weight, 0, 0, rows, rows))
            for (prefix in BFL_PREFIXES) add(prefix + base, targets(weight, whole))
            for ((part, spans) in parts.zip(partSpans)) {
                for (prefix in DIFFUSERS_PREFIXES) add(prefix + part.name.removeSuffix(".weight"), targets(weight, spans))
            }
        }
    }

    /** The spans of a part [count] rows from [first] of a BFL weight of [rows] rows; with [swapped] its halves crosswise. */
    private fun spans(name: String, first: Int, count: Int, rows: Int, swapped: Boolean): List<Span> =
        if (swapped) listOf(Span(name, 0, rows / 2, rows / 2, rows), Span(name, rows / 2, 0, rows / 2, rows))
        else listOf(Span(name, 0, first, count, count))

    /** Where a LoRA whose rows hold [lora] of [weight] adds to the model's tensors: each overlap of its spans with theirs. */
    private fun targets(weight: String, lora: List<Span>): List<LoraTarget> {
        val out = ArrayList<LoraTarget>()
        for (l in lora) {
            for (t in held[weight].orEmpty()) {
                val from = maxOf(l.bfl, t.bfl)
                val to = minOf(l.bfl + l.count, t.bfl + t.count)
                if (from >= to) continue
                val span = RowSpan(l.local + from - l.bfl, t.local + from - t.bfl, to - from, l.rows, t.rows)
                val whole = span.loraFirst == 0 && span.tensorFirst == 0 && span.count == span.loraRows && span.count == span.tensorRows
                out.add(LoraTarget(ComponentKind.DIFFUSION_MODEL, t.name, span.takeUnless { whole }))
            }
        }
        return out
    }

    private fun add(key: String, targets: List<LoraTarget>) {
        if (targets.isEmpty()) return
        for (k in LoraTargets.spellings(key)) byKey.putIfAbsent(k, targets)
    }

    override fun targets(key: String): List<LoraTarget> = byKey[key].orEmpty()

    private companion object {
        val BFL_PREFIXES = listOf("lora_unet_", "diffusion_model.", "model.diffusion_model.")
        val DIFFUSERS_PREFIXES = listOf("transformer.", "lora_transformer_")
    }
}
