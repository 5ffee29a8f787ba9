package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Convolution
import dev.sdj.core.graph.DirectConvolution
import dev.sdj.core.graph.Im2colConvolution
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType

/**
 * How a phase computes its 2-D convolutions on a device for a request; the planner measures and the engine runs the
 * same choice. The VAE's phases (decoding, image encoding) take [DirectConvolution] where the request asks for it
 * (sd.cpp's `--vae-conv-direct`) and, unless it says otherwise, on the CPU: there SD 1.5's decoder measured 0.83× to
 * 1.03× im2col's time at 512² and 256² (noise on a shared machine) with the same pixels, and its compute buffer holds
 * no per-pixel patches. Elsewhere its speed is not measured, so im2col stays the default; the other phases keep im2col.
 */
internal object PhaseConvolution {
    fun of(phase: Phase, request: GenerationRequest, device: Device): Convolution =
        if (ComponentKind.VAE in phase.components && direct(request, device)) DirectConvolution(device) else Im2colConvolution

    /** Whether the VAE's convolutions are direct on [device] for [request]. */
    fun direct(request: GenerationRequest, device: Device): Boolean = request.vaeConvDirect().orElse(device.type() == DeviceType.CPU)
}
