package dev.sdj.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * stable-diffusion.cpp's flags naming a model's files by role. sdj tells a file's role from its tensors, so these
 * simply join the files given with --model.
 */
final class ComponentFileOptions {
    @Option(names = "--diffusion-model", paramLabel = "PATH", description = "As stable-diffusion.cpp: the diffusion model's (UNet's or DiT's) file.")
    Path diffusionModel;

    @Option(names = "--vae", paramLabel = "PATH", description = "As stable-diffusion.cpp: the VAE's file.")
    Path vae;

    @Option(names = "--clip_l", paramLabel = "PATH", description = "As stable-diffusion.cpp: the CLIP-L text encoder's file.")
    Path clipL;

    @Option(names = "--clip_g", paramLabel = "PATH", description = "As stable-diffusion.cpp: SDXL's OpenCLIP bigG text encoder's file.")
    Path clipG;

    @Option(names = "--t5xxl", paramLabel = "PATH", description = "As stable-diffusion.cpp: Flux's T5-XXL text encoder's file.")
    Path t5xxl;

    @Option(names = "--llm", paramLabel = "PATH", description = "As stable-diffusion.cpp: an LLM text encoder's file (LTX-2: gemma-3-12b-it).")
    Path llm;

    @Option(names = "--embeddings-connectors", paramLabel = "PATH",
            description = "As stable-diffusion.cpp: LTX-2's text-embedding projections and connectors (*_embeddings_connectors.safetensors).")
    Path embeddingsConnectors;

    /** {@code model}'s files (may be null) followed by the ones named by role. */
    List<Path> with(List<Path> model) {
        List<Path> all = new ArrayList<>(model != null ? model : List.of());
        Stream.of(diffusionModel, vae, clipL, clipG, t5xxl, llm, embeddingsConnectors).filter(Objects::nonNull).forEach(all::add);
        return all;
    }
}
