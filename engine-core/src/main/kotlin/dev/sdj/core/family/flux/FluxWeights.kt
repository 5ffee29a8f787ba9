package dev.sdj.core.family.flux

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.PrefixWeights
import dev.sdj.core.family.sd.DiffusersVaeNames
import dev.sdj.core.family.t5.T5Names
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelInput
import dev.sdj.core.model.TensorRef

/**
 * Flux.1-class DiTs: double-stream blocks (separate image and text attention) followed by single-stream blocks.
 * Recognised in Black Forest Labs' original names and in diffusers' FluxTransformer2DModel names. The DiT keeps
 * whichever names it comes in (the graph reads both); a diffusers autoencoder gets LDM's names, which the decoder reads.
 */
object FluxWeights {
    private val ORIGINAL = Regex("""(^|\.)double_blocks\.\d+\.img_attn\.""")
    private val DIFFUSERS = Regex("""(^|\.)single_transformer_blocks\.\d+\.""")

    private val DIFFUSERS_ROOTS = listOf("transformer_blocks.", "single_transformer_blocks.", "x_embedder.", "context_embedder.",
        "time_text_embed.", "norm_out.", "proj_out.")

    fun claims(names: Collection<String>): Boolean = names.any { ORIGINAL.containsMatchIn(it) || DIFFUSERS.containsMatchIn(it) }

    /** The components of [inputs], plus the names of tensors that belong to none. */
    fun split(inputs: List<ModelInput>): Pair<Map<ComponentKind, Component>, List<String>> {
        val (components, ignored) = weights.split(inputs)
        val vae = components[ComponentKind.VAE]
        if (vae == null || !DiffusersVaeNames.looksLikeDiffusersVae(vae.tensors.keys)) return components to ignored
        val unplaced = ArrayList(ignored)
        return components + (ComponentKind.VAE to ldmVae(vae, unplaced)) to unplaced
    }

    private fun ldmVae(vae: Component, unplaced: MutableList<String>): Component {
        val names = DiffusersVaeNames(vae.tensors.keys)
        val out = LinkedHashMap<String, TensorRef>()
        for ((name, ref) in vae.tensors) {
            val canonical = names.canonical(name)
            if (canonical == null) {
                unplaced.add(ref.info.name)
                continue
            }
            val placed = if (DiffusersVaeNames.reshapedToConv(canonical) && ref.shape.size == 2) ref.copy(shape = listOf(1L, 1L) + ref.shape) else ref
            if (out.put(canonical, placed) != null) {
                throw ModelFileException(ref.file.path, ref.info.name, "two tensors give the autoencoder's '$canonical'; pass each component once")
            }
        }
        return Component(ComponentKind.VAE, out)
    }

    private val weights = PrefixWeights(
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
