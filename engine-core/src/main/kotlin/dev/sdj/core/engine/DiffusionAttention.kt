package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.FlashAttention
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.ggml.Device

/**
 * How the diffusion model computes attention on a device for a request; the planner measures and the engine runs
 * the same choice. The text encoder and the VAE keep the naive path (the flag is sd.cpp's `--diffusion-fa`).
 */
internal object DiffusionAttention {
    fun of(request: GenerationRequest, device: Device): Attention =
        if (request.diffusionFlashAttention()) FlashAttention(device) else NaiveAttention
}
