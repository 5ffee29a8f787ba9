package dev.sdj.core.sampling

import dev.sdj.api.GenerationRequest

/**
 * A seeded source of standard-normal noise for latents.
 *
 * Each call continues the generator's stream, as stable-diffusion.cpp's RNGs do, so the initial
 * latent and every later ancestral-noise draw of one generation come from a single seeded
 * sequence and replay exactly. Instances are not thread-safe.
 */
interface NoiseRng {
    /** The next [count] values of the stream, as a fresh array. */
    fun randn(count: Int): FloatArray

    companion object {
        /** The stream [request]'s rng option names ("cpu": PyTorch's CPU generator; else sd.cpp's CUDA Philox), seeded with [seed]. */
        fun of(request: GenerationRequest, seed: Long = request.seed()): NoiseRng = if (request.rng() == "cpu") TorchCpuRng(seed) else PhiloxRng(seed)
    }
}
