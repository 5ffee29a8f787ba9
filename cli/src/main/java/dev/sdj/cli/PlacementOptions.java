package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

import java.util.Set;

/** Where a generation runs and how much device memory it may take: shared by generate and plan. */
final class PlacementOptions {
    @Option(names = "--placement", defaultValue = "auto",
            description = "auto (the fastest that fits), resident (every component stays on the device), sequential (text "
                    + "encoder, then diffusion model + VAE: peak memory is the larger group, not the sum) or streamed (as sequential, "
                    + "the diffusion model's blocks streamed through the device, as many kept resident as fit) (default: ${DEFAULT-VALUE}).")
    String placement;

    @Option(names = "--max-vram", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Cap device memory (parameters + compute), e.g. 2G or 1500M; default: the device's budget (see 'sdj devices').")
    Long maxVram;

    @Option(names = "--on-cpu", split = ",", paramLabel = "COMPONENT",
            description = "Run these components on the CPU whatever the device: text_encoder, vae (comma-separated).")
    Set<String> onCpu;

    @Option(names = "--device", paramLabel = "NAME", description = "ggml device (see 'sdj devices'); default: the first GPU, else the CPU.")
    String device;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        b.placement(placement);
        if (maxVram != null) b.maxDeviceMemory(maxVram);
        if (onCpu != null) b.cpuComponents(onCpu);
        if (device != null) b.device(device);
        return b;
    }
}
