package dev.sdj.cli;

import dev.sdj.api.Benchmarks.Architecture;
import dev.sdj.api.EngineConfig;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.Tools;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** The model, size, steps and threads of a generation benchmark: shared by bench prepare, generate, stream and condition. */
final class BenchRunOptions {
    @Option(names = "--size", defaultValue = "128", description = "Image width and height (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--steps", defaultValue = "3", description = "Denoising steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    /** A video model's clip (LTX-2: --video-frames 9 for the 256×256×9 step the README times). */
    @Mixin
    VideoOptions video = new VideoOptions();

    @Option(names = "--architecture", paramLabel = "NAME", defaultValue = "sd15", converter = ArchitectureName.class,
            description = "Full-size architecture of the random model: sd15 (f16, about 2 GB), sdxl (SDXL base, f16, about 6.9 GB), flux-dev or flux-schnell (separate files in a folder: Q4_K DiT, Q8_0 T5-XXL, f16 CLIP-L and VAE, about 12 GB), ltx2-text or ltx2-text-q4k (LTX-2.3's conditioner alone, for its conditioning phase: Gemma-3 12B as a Q4_0 or Q4_K GGUF and the bf16 connectors, about 12 GB), ltx2 or ltx2-q4k (LTX-2.3 text-to-video: that conditioner, the 48-block DiT in the same type, about 10 GB more, and the bf16 video VAE; with --video-frames) (default: ${DEFAULT-VALUE}).")
    Architecture architecture;

    @Option(names = "--file", paramLabel = "PATH",
            description = "Where the model is written once and reused (default: sdj-<architecture>-random-f16.gguf, or the folder sdj-<architecture>-random for Flux and LTX-2, in ${sys:java.io.tmpdir}).")
    Path file;

    @Option(names = "--model", paramLabel = "PATH", description = "Benchmark this model instead (e.g. the built-in tiny model).")
    Path model;

    @Option(names = "--no-mmap",
            description = "On the CPU, copy every weight into allocated memory instead of reading the weights it can use as stored in place from the memory-mapped model file (the default; images are the same).")
    boolean noMmap;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Quantize f32/f16/bf16 weights to this ggml type while loading, as generate --type does (e.g. q8_0, q4_K); "
                    + "the log's phase times show what loading took.")
    String weightType;

    /** --file, else the architecture's own file in the temporary folder, so each architecture keeps its model. */
    Path file() {
        return file != null ? file : Path.of(System.getProperty("java.io.tmpdir"), architecture.defaultFileName());
    }

    /** The file (or folder) the model is read from: --model, else the full-size model's. */
    Path modelFile() {
        return model != null ? model : file();
    }

    /** The model to run: --model, else the full-size one, written first if missing; quantized while loading with --type, weights copied with --no-mmap. */
    EngineConfig modelConfig() {
        EngineConfig config = (model != null ? EngineConfig.of(model) : Tools.get().benchmarks().prepare(architecture.id(), file())).withWeightMapping(!noMmap);
        return weightType != null ? config.withWeightType(weightType) : config;
    }

    String modelName() {
        String name = model != null ? model.getFileName().toString() : architecture.label() + " random " + architecture.weights();
        return weightType != null ? name + " --type " + weightType : name;
    }

    /** Threads, the clip's frames and rate, and the full-size model's own cfg scale (Flux.1 runs at 1: one DiT evaluation per step). */
    void applyTo(GenerationRequest.Builder b, PrintWriter err) {
        threads.applyTo(b, err);
        video.applyTo(b);
        if (model == null) {
            b.cfgScale(architecture.cfgScale());
        }
    }

    /** Reads --architecture by the ids the file names use (sd15, sdxl, flux-dev, flux-schnell, ltx2-text, ltx2-text-q4k). */
    static final class ArchitectureName implements ITypeConverter<Architecture> {
        @Override
        public Architecture convert(String value) {
            List<Architecture> known = Tools.get().benchmarks().architectures();
            return known.stream().filter(a -> a.id().equals(value)).findFirst().orElseThrow(() ->
                    new TypeConversionException("'" + value + "' is none of " + known.stream().map(Architecture::id).toList()));
        }
    }
}
