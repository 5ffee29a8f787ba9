package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

import java.util.Set;

/**
 * Which device a generation runs on, how much of its memory it may take, and how decoding and attention save memory: shared by
 * generate, plan, tune and bench.
 */
final class DeviceOptions {
    @Option(names = "--max-vram", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Cap device memory (parameters + compute), e.g. 2G or 1500M; default: the device's budget (see 'sdj devices').")
    Long maxVram;

    @Option(names = "--on-cpu", split = ",", paramLabel = "COMPONENT",
            description = "Run these components on the CPU whatever the device: text_encoder, vae (comma-separated).")
    Set<String> onCpu;

    @Option(names = "--device", paramLabel = "NAME", description = "ggml device (see 'sdj devices'); default: the first GPU, else the CPU.")
    String device;

    @Option(names = "--vae-tile", paramLabel = "PIXELS", defaultValue = "0",
            description = "Decode the image in overlapping tiles of this many pixels (e.g. 256): the decoder's memory becomes "
                    + "a tile's instead of the image's; the image differs slightly from a whole decode. 0 = whole (default).")
    int vaeTile;

    @Option(names = "--diffusion-fa",
            description = "Flash attention in the diffusion model where the device runs it: no attention score matrix in "
                    + "memory (much less compute memory at 512 pixels and up), K and V rounded to f16 (pixels change a "
                    + "little); on the CPU slower. Default: off, the f32 softmax path; 'plan' says when it would help.")
    boolean diffusionFlashAttention;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        b.vaeTileSize(vaeTile);
        b.diffusionFlashAttention(diffusionFlashAttention);
        if (maxVram != null) b.maxDeviceMemory(maxVram);
        if (onCpu != null) b.cpuComponents(onCpu);
        if (device != null) b.device(device);
        return b;
    }
}
