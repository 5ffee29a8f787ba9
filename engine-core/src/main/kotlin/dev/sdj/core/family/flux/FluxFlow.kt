package dev.sdj.core.family.flux

import dev.sdj.core.model.Component
import dev.sdj.core.sampling.FlowSchedule

/** The flow schedule a Flux diffusion model samples with, chosen as stable-diffusion.cpp chooses it. */
object FluxFlow {
    /** The guidance embedding's first weight in Black Forest Labs' names and in diffusers' (FluxTransformer2DModel). */
    private val GUIDANCE_EMBEDDING = listOf("guidance_in.in_layer.weight", "time_text_embed.guidance_embedder.linear_1.weight")

    /** Whether the model takes a distilled guidance value (FLUX.1-dev does, FLUX.1-schnell does not). */
    fun hasGuidanceEmbedding(diffusionModel: Component): Boolean = GUIDANCE_EMBEDDING.any { it in diffusionModel.tensors }

    /** sd.cpp's schedule for this model: shift 1.15 with a guidance embedding, else 1.0. */
    fun schedule(diffusionModel: Component): FlowSchedule = FlowSchedule.flux(hasGuidanceEmbedding(diffusionModel))
}
