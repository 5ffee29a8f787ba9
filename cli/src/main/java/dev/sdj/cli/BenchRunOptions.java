package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import dev.sdj.core.bench.GenerationBenchmark;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The model, size, steps and threads of a generation benchmark: shared by bench generate and bench stream. */
final class BenchRunOptions {
    @Option(names = "--size", defaultValue = "128", description = "Image width and height (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--steps", defaultValue = "3", description = "Denoising steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--file", defaultValue = "${java.io.tmpdir}/sdj-sd15-random-f16.gguf",
            description = "Where the full-size SD 1.5-architecture model is written once (about 2 GB) and reused (default: ${DEFAULT-VALUE}).")
    Path file;

    @Option(names = "--model", paramLabel = "PATH", description = "Benchmark this model instead (e.g. the built-in tiny model).")
    Path model;

    /** The model to run: --model, else the full-size one, written first if missing. */
    Path modelPath() {
        return model != null ? model : GenerationBenchmark.INSTANCE.prepare(file);
    }

    String modelName() {
        return model != null ? model.getFileName().toString() : "SD1.5 random f16";
    }

    void applyTo(GenerationRequest.Builder b, PrintWriter err) {
        threads.applyTo(b, err);
    }
}
