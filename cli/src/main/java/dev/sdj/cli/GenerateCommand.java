package dev.sdj.cli;

import dev.sdj.api.CancellationToken;
import dev.sdj.api.Engine;
import dev.sdj.api.EngineConfig;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.GenerationResult;
import dev.sdj.core.device.Devices;
import dev.sdj.core.engine.DefaultModel;
import dev.sdj.ggml.NativesDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generates an image from a text prompt (SD 1.x and SD 2.x).",
                "Without --model it uses a tiny built-in model with RANDOM weights: the image is noise and only shows that the engine works; pass a real checkpoint (.safetensors or .gguf), a diffusers folder, or component files with --model."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Checkpoint, diffusers folder, or component file; repeat for split files. Default: the built-in tiny random model.")
    List<Path> model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer when the model has none: a folder with vocab.json and merges.txt, or bpe_simple_vocab_16e6.txt.gz.")
    Path tokenizer;

    @Option(names = {"-p", "--prompt"}, required = true, description = "What to draw; (word:1.2) and [word] set emphasis.")
    String prompt;

    @Option(names = {"-n", "--negative-prompt"}, defaultValue = "", description = "What to steer away from (default: none).")
    String negativePrompt;

    @Option(names = {"-W", "--width"}, description = "Width in pixels, a multiple of 8 (default: 512; 128 without --model).")
    Integer width;

    @Option(names = {"-H", "--height"}, description = "Height in pixels, a multiple of 8 (default: 512; 128 without --model).")
    Integer height;

    @Option(names = "--steps", description = "Denoising steps (default: 20; 10 without --model).")
    Integer steps;

    @Option(names = "--cfg-scale", defaultValue = "7", description = "Guidance scale; 1 ignores the negative prompt (default: ${DEFAULT-VALUE}).")
    double cfgScale;

    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "Seed; the same seed gives the same image (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--sampler", defaultValue = "euler_a", description = "euler, euler_a or dpm++2m (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--schedule", defaultValue = "discrete", description = "discrete or karras (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--rng", defaultValue = "cuda",
            description = "Noise generator: cuda (stable-diffusion.cpp's default, torch's CUDA randn) or cpu (torch's CPU randn) (default: ${DEFAULT-VALUE}).")
    String rng;

    @Option(names = "--clip-skip", defaultValue = "0", description = "Text-encoder layers to skip; 0 = the model's default (default: ${DEFAULT-VALUE}).")
    int clipSkip;

    @Option(names = "--prediction", defaultValue = "auto", description = "auto, eps or v; SD 2.x 768 models predict v (default: ${DEFAULT-VALUE}).")
    String prediction;

    @Mixin
    PlacementOptions where = new PlacementOptions();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png",
            description = "PNG to write, - for standard output (default: ${DEFAULT-VALUE}).")
    Path output;

    @Spec
    CommandSpec spec;

    /** The built-in model draws noise, so without --model a small, quick image (~10 s on 2 cores) shows the path runs. */
    private static final int BUILT_IN_SIZE = 128;
    private static final int BUILT_IN_STEPS = 10;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        GenerationRequest request = request(err);
        PngOutput png = PngOutput.prepare(output);

        List<Path> paths = model;
        if (usesBuiltInModel()) {
            paths = List.of(DefaultModel.INSTANCE.path(NativesDirectory.defaultCacheRoot()));
            err.println("note: no --model given, so this uses the built-in tiny model with RANDOM weights: expect noise.");
            err.printf(Locale.ROOT, "      It draws %dx%d in %d steps to finish quickly (-W, -H and --steps change that).%n",
                    request.width(), request.height(), request.steps());
            err.println("      For real images pass a checkpoint: --model path/to/model.safetensors (or .gguf, or a diffusers folder).");
        }
        ProgressBar bar = new ProgressBar(err);
        GenerationResult result;
        try (Engine engine = Engine.open(new EngineConfig(paths, Optional.ofNullable(tokenizer)))) {
            err.println("model: " + engine.modelFamily());
            result = engine.generate(request, bar, new CancellationToken());
        } finally {
            bar.finish();
        }
        png.write(result.png());
        err.println("placement: " + PlanCommand.describe(result.placement()));
        DeviceChoiceNote.explain(Devices::report, result.placement().device(), request.device()).ifPresent(err::println);
        if (result.placement().placement().equals("streamed")) {
            err.println("streamed: " + result.placement().residentBlocks() + " of " + result.placement().blocks()
                    + " diffusion-model blocks resident, " + Bytes.human(result.placement().uploadBytesPerStep()) + " uploaded per step, "
                    + String.format(Locale.ROOT, "%.1f s", result.uploadWaitMillis() / 1000.0) + " spent waiting for uploads");
        }
        if (result.placement().reason().contains("would fit")) {
            err.println("warning: " + result.placement().reason());
        }
        err.printf(Locale.ROOT, "wrote %s (%dx%d, seed %d) in %.1f s%n", png.shown(), result.width(), result.height(), result.seed(),
                result.millis() / 1000.0);
        for (Map.Entry<String, Long> e : result.peakDeviceBytes().entrySet()) {
            err.printf(Locale.ROOT, "peak device memory on %s (parameters + compute): %s%n", e.getKey(), Bytes.human(e.getValue()));
        }
        err.printf(Locale.ROOT, "parameters uploaded: %s%n", Bytes.human(result.uploadedParameterBytes()));
        err.printf(Locale.ROOT, "peak process memory (RSS): %s%n", Bytes.human(ProcessMemory.peakRssBytes()));
        err.flush();
        return 0;
    }

    /** The request as given; without --model the size and steps default to the quick ones. */
    GenerationRequest request(PrintWriter err) {
        int defaultSize = usesBuiltInModel() ? BUILT_IN_SIZE : 512;
        GenerationRequest.Builder b = GenerationRequest.builder(prompt).negativePrompt(negativePrompt)
                .size(width != null ? width : defaultSize, height != null ? height : defaultSize)
                .steps(steps != null ? steps : usesBuiltInModel() ? BUILT_IN_STEPS : 20)
                .cfgScale(cfgScale).seed(seed).sampler(sampler).schedule(schedule).rng(rng)
                .clipSkip(clipSkip).prediction(prediction);
        where.applyTo(b);
        threads.applyTo(b, err);
        return b.build();
    }

    private boolean usesBuiltInModel() {
        return model == null || model.isEmpty();
    }
}
