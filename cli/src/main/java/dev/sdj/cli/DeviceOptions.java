package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

import java.util.Set;
import java.util.TreeSet;

/**
 * Which device a generation runs on, how much of its memory it may take, and how decoding and attention save memory: shared by
 * generate, plan, tune and bench.
 */
final class DeviceOptions {
    @Option(names = "--max-vram", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Cap device memory (parameters + compute), e.g. 2G or 1500M; a bare number is GiB, as in stable-diffusion.cpp; default: the device's budget (see 'sdj devices').")
    Long maxVram;

    @Option(names = "--on-cpu", split = ",", paramLabel = "COMPONENT",
            description = "Run these components on the CPU whatever the device (comma-separated): the names the model's family "
                    + "declares, e.g. text_encoder, text_encoder_2 (SDXL), vae; text_encoders for all of them.")
    Set<String> onCpu;

    @Option(names = "--clip-on-cpu", description = "As stable-diffusion.cpp: --on-cpu text_encoders.")
    boolean clipOnCpu;

    @Option(names = "--vae-on-cpu", description = "As stable-diffusion.cpp: --on-cpu vae.")
    boolean vaeOnCpu;

    @Option(names = "--device", paramLabel = "NAME", description = "ggml device (see 'sdj devices'); default: the first GPU, else the CPU.")
    String device;

    @Option(names = "--vae-tile", paramLabel = "PIXELS", defaultValue = "0",
            description = "Decode the image in overlapping tiles of this many pixels (e.g. 256): the decoder's memory becomes "
                    + "a tile's instead of the image's; the image differs slightly from a whole decode. 0 = whole (default).")
    int vaeTile;

    /** stable-diffusion.cpp's switch has no size; 256 pixels keeps SD 1.5's decoder under 0.5 GiB (see the README). */
    @Option(names = "--vae-tiling", description = "As stable-diffusion.cpp: --vae-tile 256 unless --vae-tile gives a size.")
    boolean vaeTiling;

    @Option(names = "--diffusion-fa",
            description = "Flash attention in the diffusion model where the device runs it: no attention score matrix in "
                    + "memory (much less compute memory at 512 pixels and up), K and V rounded to f16 (pixels change a "
                    + "little); on the CPU slower. Default: off, the f32 softmax path; 'plan' says when it would help.")
    boolean diffusionFlashAttention;

    @Option(names = "--vae-conv-direct", negatable = true,
            description = "The VAE's convolutions through ggml's direct convolution where the device runs it "
                    + "(--no-vae-conv-direct: im2col and a matrix product), 1x1 kernels excepted: no per-pixel patches in "
                    + "compute memory (SD 1.5's decoder at 512 pixels: 1.88 GiB -> 832 MiB on the CPU), but pixels change "
                    + "by rounding (as fast on an idle CPU, slower on a busy one). Default: im2col; 'plan' says when direct "
                    + "would let a faster placement fit.")
    Boolean vaeConvDirect;

    @Option(names = "--cfg-batch", paramLabel = "auto|on|off", defaultValue = "auto",
            description = "With guidance (cfg scale other than 1), evaluate the prompt and the negative prompt as one batch of two "
                    + "(on: the diffusion model's weights read, or streamed, once per step instead of twice; about twice the "
                    + "compute memory) or as two evaluations (off). Batching changes pixels by rounding. Default auto: "
                    + "what 'sdj tune' measured faster, else two evaluations; 'plan' says when batching would upload less. SD 1.x/2.x and SDXL; other families ignore it.")
    String cfgBatch;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        b.vaeTileSize(vaeTile == 0 && vaeTiling ? 256 : vaeTile);
        b.diffusionFlashAttention(diffusionFlashAttention);
        if (vaeConvDirect != null) b.vaeConvDirect(vaeConvDirect);
        b.cfgBatch(cfgBatch);
        if (maxVram != null) b.maxDeviceMemory(maxVram);
        Set<String> cpu = new TreeSet<>(onCpu != null ? onCpu : Set.of());
        if (clipOnCpu) cpu.add("text_encoders");
        if (vaeOnCpu) cpu.add("vae");
        b.cpuComponents(cpu);
        if (device != null) b.device(device);
        return b;
    }
}
