package dev.sdj.core.family.sd

import dev.sdj.core.model.TensorRef

/**
 * OpenCLIP text encoders (SD 2.x's ViT-H, SDXL's bigG) in original checkpoints use OpenCLIP's names and fuse the
 * attention's q, k and v into one in_proj tensor. They map onto the Hugging Face names the CLIP graph uses; the
 * fused projection becomes three row slices of the same bytes, so nothing is copied or converted. The text projection
 * keeps its own name ([SdTensorLayout.OPEN_CLIP_PROJECTION]): OpenCLIP stores the transpose of Hugging Face's
 * `text_projection.weight`, and bytes are never rearranged here, so the graph must know which orientation it reads.
 * `logit_scale` (the contrastive loss's temperature) has no counterpart and is left out.
 */
object OpenClipNames {
    private val LAYER = Regex("""transformer\.resblocks\.(\d+)\.(.+)""")
    private val PARTS = mapOf(
        "ln_1" to "layer_norm1", "ln_2" to "layer_norm2",
        "mlp.c_fc" to "mlp.fc1", "mlp.c_proj" to "mlp.fc2",
        "attn.out_proj" to "self_attn.out_proj",
    )

    fun isOpenClip(names: Collection<String>): Boolean = names.any { it.startsWith("transformer.resblocks.") }

    /** HF-named refs for one OpenCLIP tensor (three for a fused projection), or empty when it has no HF counterpart. */
    fun toHuggingFace(name: String, ref: TensorRef): List<Pair<String, TensorRef>> {
        when (name) {
            "token_embedding.weight" -> return listOf("text_model.embeddings.token_embedding.weight" to ref)
            "positional_embedding" -> return listOf("text_model.embeddings.position_embedding.weight" to ref)
            "ln_final.weight" -> return listOf("text_model.final_layer_norm.weight" to ref)
            "ln_final.bias" -> return listOf("text_model.final_layer_norm.bias" to ref)
            "text_projection" -> return listOf(SdTensorLayout.OPEN_CLIP_PROJECTION to ref)
        }
        val m = LAYER.matchEntire(name) ?: return emptyList()
        val (layer, rest) = m.destructured
        val prefix = "text_model.encoder.layers.$layer"
        if (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias") {
            val suffix = if (rest.endsWith("weight")) "weight" else "bias"
            val rows = ref.shape.last() / 3                      // ggml order: rows are the last dimension
            val shape = ref.shape.dropLast(1) + rows
            val bytes = ref.byteSize / 3
            return listOf("q_proj", "k_proj", "v_proj").mapIndexed { i, p ->
                "$prefix.self_attn.$p.$suffix" to ref.copy(shape = shape, byteOffset = ref.byteOffset + i * bytes, byteSize = bytes)
            }
        }
        val part = rest.substringBeforeLast('.')
        return PARTS[part]?.let { listOf("$prefix.$it.${rest.substringAfterLast('.')}" to ref) } ?: emptyList()
    }

    /** Where a Hugging Face tensor of an OpenCLIP encoder goes in OpenCLIP's naming: [name], the [part]-th of the tensors stacked there. */
    class Origin(val name: String, val part: Int)

    private val HF_PARTS = PARTS.entries.associate { (openClip, hf) -> hf to openClip }
    private val HF_LAYER = Regex("""text_model\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)""")

    /**
     * The OpenCLIP tensor [toHuggingFace] gives [hf] from: q, k and v are parts 0, 1 and 2 of the fused in_proj. The
     * text projection maps to its OpenCLIP name in either orientation; which one the bytes are in is the caller's.
     */
    fun fromHuggingFace(hf: String): Origin? {
        when (hf) {
            "text_model.embeddings.token_embedding.weight" -> return Origin("token_embedding.weight", 0)
            "text_model.embeddings.position_embedding.weight" -> return Origin("positional_embedding", 0)
            "text_model.final_layer_norm.weight" -> return Origin("ln_final.weight", 0)
            "text_model.final_layer_norm.bias" -> return Origin("ln_final.bias", 0)
            SdTensorLayout.OPEN_CLIP_PROJECTION, SdTensorLayout.TEXT_PROJECTION -> return Origin("text_projection", 0)
        }
        val (layer, part, suffix) = HF_LAYER.matchEntire(hf)?.destructured ?: return null
        val qkv = listOf("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj").indexOf(part)
        if (qkv >= 0) return Origin("transformer.resblocks.$layer.attn.in_proj_$suffix", qkv)
        return HF_PARTS[part]?.let { Origin("transformer.resblocks.$layer.$it.$suffix", 0) }
    }
}
