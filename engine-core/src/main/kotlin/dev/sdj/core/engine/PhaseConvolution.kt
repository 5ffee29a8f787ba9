package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Convolution
import dev.sdj.core.graph.DirectConvolution
import dev.sdj.core.graph.Im2colConvolution
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.ggml.Device

/**
 * How a phase computes its 2-D convolutions on a device for a request; the planner measures and the engine runs the
 * same choice. The VAE's phases (decoding, image encoding) take [DirectConvolution] only where the request asks for it
 * (sd.cpp's `--vae-conv-direct`): it needs a much smaller compute buffer (SD 1.5's decoder at 512²: 834 MiB against
 * 1.88 GiB) and decoded as fast on a quiet CPU, but it changes pixels by rounding on every device measured (the CPU at
 * 128×128: 95 dB PSNR; lavapipe: 64 dB), so that the image of a request never depends on the budget it is the user's
 * choice; `plan` names it where it would let a faster placement fit. The other phases keep im2col.
 */
internal object PhaseConvolution {
    fun of(phase: Phase, request: GenerationRequest, device: Device): Convolution =
        if (ComponentKind.VAE in phase.components && direct(request)) DirectConvolution(device) else Im2colConvolution

    /** Whether the VAE's convolutions are direct for [request]. */
    fun direct(request: GenerationRequest): Boolean = request.vaeConvDirect().orElse(false)
}
