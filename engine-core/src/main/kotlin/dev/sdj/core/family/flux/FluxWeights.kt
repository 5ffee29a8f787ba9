package dev.sdj.core.family.flux

import dev.sdj.core.family.PrefixWeights
import dev.sdj.core.family.t5.T5Names
import dev.sdj.core.model.ComponentKind

/**
 * Flux.1-class DiTs: double-stream blocks (separate image and text attention) followed by single-stream blocks.
 * Recognised in Black Forest Labs' original names and in diffusers' FluxTransformer2DModel names.
 */
object FluxWeights {
    private val ORIGINAL = Regex("""(^|\.)double_blocks\.\d+\.img_attn\.""")
    private val DIFFUSERS = Regex("""(^|\.)single_transformer_blocks\.\d+\.""")

    private val DIFFUSERS_ROOTS = listOf("transformer_blocks.", "single_transformer_blocks.", "x_embedder.", "context_embedder.",
        "time_text_embed.", "norm_out.", "proj_out.")

    fun claims(names: Collection<String>): Boolean = names.any { ORIGINAL.containsMatchIn(it) || DIFFUSERS.containsMatchIn(it) }

    val weights = PrefixWeights(
        prefixes = listOf(
            "model.diffusion_model." to ComponentKind.DIFFUSION_MODEL,
            "text_encoders.clip_l.transformer." to ComponentKind.TEXT_ENCODER,
            "text_encoders.t5xxl.transformer." to ComponentKind.TEXT_ENCODER_2,
            "vae." to ComponentKind.VAE,
            // stable-diffusion.cpp names every autoencoder so internally, and its converted files keep it
            "first_stage_model." to ComponentKind.VAE,
        ),
        bareComponent = { name ->
            when {
                name.startsWith("double_blocks.") || name.startsWith("single_blocks.") || name.startsWith("img_in.") ||
                    name.startsWith("txt_in.") || name.startsWith("time_in.") || name.startsWith("vector_in.") ||
                    name.startsWith("guidance_in.") || name.startsWith("final_layer.") -> ComponentKind.DIFFUSION_MODEL
                DIFFUSERS_ROOTS.any { name.startsWith(it) } -> ComponentKind.DIFFUSION_MODEL
                T5Names.canonical(name) != null -> ComponentKind.TEXT_ENCODER_2
                // T5's encoder stack shares the "encoder." root with the VAE, so it is told apart first
                name.startsWith("encoder.block.") || name.startsWith("encoder.final_layer_norm.") || name.startsWith("shared.") ->
                    ComponentKind.TEXT_ENCODER_2
                name.startsWith("encoder.") || name.startsWith("decoder.") -> ComponentKind.VAE
                name.startsWith("text_model.") -> ComponentKind.TEXT_ENCODER
                else -> null
            }
        },
        canonical = { kind, name -> if (kind == ComponentKind.TEXT_ENCODER_2) T5Names.canonical(name) ?: name else name },
    )
}
