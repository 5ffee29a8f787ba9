package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

import java.util.Set;

/** Which device a generation runs on and how much of its memory it may take: shared by generate, plan and tune. */
final class DeviceOptions {
    @Option(names = "--max-vram", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Cap device memory (parameters + compute), e.g. 2G or 1500M; default: the device's budget (see 'sdj devices').")
    Long maxVram;

    @Option(names = "--on-cpu", split = ",", paramLabel = "COMPONENT",
            description = "Run these components on the CPU whatever the device: text_encoder, vae (comma-separated).")
    Set<String> onCpu;

    @Option(names = "--device", paramLabel = "NAME", description = "ggml device (see 'sdj devices'); default: the first GPU, else the CPU.")
    String device;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        if (maxVram != null) b.maxDeviceMemory(maxVram);
        if (onCpu != null) b.cpuComponents(onCpu);
        if (device != null) b.device(device);
        return b;
    }
}
