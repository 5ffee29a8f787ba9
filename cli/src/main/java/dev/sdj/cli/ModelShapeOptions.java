package dev.sdj.cli;

import dev.sdj.api.EngineConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The model and the image size a command plans or measures for: shared by plan and tune. */
final class ModelShapeOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH", description = "Checkpoint, diffusers folder, or component file; repeat for split files.")
    List<Path> model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer when the model has none.")
    Path tokenizer;

    @Option(names = "--t5-tokenizer", paramLabel = "PATH", description = "T5 tokenizer (Flux) when the model has none.")
    Path t5Tokenizer;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Quantize f32/f16/bf16 weights to this ggml type while loading, e.g. q8_0, q4_K (stable-diffusion.cpp's --type; default: the stored types).")
    String weightType;

    @Option(names = "--no-mmap",
            description = "On the CPU, copy every weight into allocated memory instead of reading the weights it can use as stored in place from the memory-mapped model file (the default; images are the same).")
    boolean noMmap;

    @Option(names = {"-W", "--width"}, defaultValue = "512", description = "Width in pixels (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = {"-H", "--height"}, defaultValue = "512", description = "Height in pixels (default: ${DEFAULT-VALUE}).")
    int height;

    EngineConfig engineConfig() {
        return new EngineConfig(model, Optional.ofNullable(tokenizer), Optional.ofNullable(weightType), Optional.ofNullable(t5Tokenizer), !noMmap);
    }
}
