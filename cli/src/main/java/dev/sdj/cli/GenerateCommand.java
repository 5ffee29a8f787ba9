package dev.sdj.cli;

import dev.sdj.api.DeviceReport;
import dev.sdj.api.Engine;
import dev.sdj.api.EngineConfig;
import dev.sdj.api.GenerationCancelledException;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.GenerationResult;
import dev.sdj.api.MemoryPools;
import dev.sdj.api.ModelInspection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
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

    @Mixin
    ComponentFileOptions components = new ComponentFileOptions();

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer when the model has none: a folder with vocab.json and merges.txt, or bpe_simple_vocab_16e6.txt.gz.")
    Path tokenizer;

    @Option(names = "--t5-tokenizer", paramLabel = "PATH",
            description = "T5 tokenizer for Flux's second text encoder when the model has none: tokenizer.json (google/t5-v1_1-xxl, or FLUX.1's tokenizer_2/), spiece.model, or a folder holding one.")
    Path t5Tokenizer;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Quantize f32/f16/bf16 weights to this ggml type while loading, e.g. q8_0, q4_K (stable-diffusion.cpp's --type; default: the stored types).")
    String weightType;

    @Option(names = "--no-mmap",
            description = "On the CPU, copy every weight into allocated memory instead of reading the weights it can use as stored in place from the memory-mapped model file (the default; images are the same).")
    boolean noMmap;

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

    @Option(names = "--guidance", defaultValue = "3.5",
            description = "Distilled guidance a guidance-embedding model (FLUX.1-dev) takes as an input; others ignore it (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = {"-s", "--seed"}, defaultValue = "42",
            description = "Seed; the same seed gives the same image; -1 (any negative seed) draws a random one, written into the image's parameters (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-b", "--batch-count"}, paramLabel = "N", defaultValue = "1",
            description = "Images to generate, with seeds seed, seed+1, …, loading the model and encoding the prompt once; more than one go to the -o name with _0, _1, … before its extension (default: ${DEFAULT-VALUE}).")
    int batchCount;

    @Option(names = {"-i", "--init-img"}, paramLabel = "PATH",
            description = "Start from this PNG or JPEG instead of noise (image-to-image on SD 1.x, 2.x, SDXL and Flux; LTX-2: the clip's first frame), resized to -W x -H when it differs.")
    Path initImage;

    @Option(names = "--strength", defaultValue = "0.75",
            description = "With --init-img, 0 to 1: image-to-image, how much to change it (the last steps x strength steps of the schedule run); LTX-2, how firmly the first frame keeps it (1: exactly) (default: ${DEFAULT-VALUE}).")
    double strength;

    @Option(names = "--mask", paramLabel = "PATH",
            description = "With --init-img, repaint only where this image is white and keep it where black (inpainting; SD 1.x, 2.x and SDXL, regular or inpainting checkpoints), resized to -W x -H when it differs.")
    Path mask;

    @Option(names = "--overwrite",
            description = "Let a batch (-b) replace existing files of its names (output_0.png, …); without it they are refused before any work. A single image's -o file is always replaced.")
    boolean overwrite;

    @Option(names = {"--sampler", "--sampling-method"}, defaultValue = "euler_a",
            description = "euler, euler_a or dpm++2m; A1111's names too (\"Euler a\", \"DPM++ 2M Karras\") (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = {"--schedule", "--scheduler"}, description = "discrete or karras (default: karras when the sampler's name says so, else discrete).")
    String schedule;

    @Option(names = "--rng", defaultValue = "cuda",
            description = "Noise generator: cuda (stable-diffusion.cpp's default, torch's CUDA randn) or cpu (torch's CPU randn) (default: ${DEFAULT-VALUE}).")
    String rng;

    @Option(names = "--clip-skip", defaultValue = "0", description = "Text-encoder layers to skip; 0 = the model's default (default: ${DEFAULT-VALUE}).")
    int clipSkip;

    @Option(names = "--original-size", paramLabel = "WxH",
            description = "SDXL: the original size the model is conditioned on (default: the image size).")
    String originalSize;

    @Option(names = "--crop-top-left", paramLabel = "TOP,LEFT",
            description = "SDXL: the crop corner the model is conditioned on (default: 0,0).")
    String cropTopLeft;

    @Option(names = "--target-size", paramLabel = "WxH",
            description = "SDXL: the target size the model is conditioned on (default: the image size).")
    String targetSize;

    @Mixin
    VideoOptions video = new VideoOptions();

    @Option(names = "--prediction", defaultValue = "auto", description = "auto, eps or v; SD 2.x 768 models predict v (default: ${DEFAULT-VALUE}).")
    String prediction;

    @Mixin
    PlacementOptions where = new PlacementOptions();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LoraOptions loras = new LoraOptions();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png",
            description = {"Image to write: .png (with the parameters as A1111's text), .jpg or .jpeg (without them); - for PNG on standard output (default: ${DEFAULT-VALUE}).",
                    "A video model's clip: .mp4 (H.264), .avi (MJPEG), .webp (animated) or a PNG frame pattern such as frame_%%03d.png, each with the parameters; an image name keeps the clip's first frame."})
    Path output;

    @Option(names = {"-v", "--verbose"}, description = "Also show the engine's and ggml's information messages (ggml's: unless SDJ_GGML_LOG is set).")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only warnings and errors.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GenerateCommand.class);

    /** The built-in model draws noise, so without --model a small, quick image (~10 s on 2 cores) shows the path runs. */
    private static final int BUILT_IN_SIZE = 128;
    private static final int BUILT_IN_STEPS = 10;

    @Override
    public Integer call() throws IOException {
        PrintWriter warn = spec.commandLine().getErr();
        PrintWriter info = quiet ? new PrintWriter(Writer.nullWriter()) : warn;
        ConsoleLog.configure(LogLevels.fromEnvironment(verbose));
        GenerationRequest request = request(warn);
        List<GenerateOutput> outs = BatchOutputs.prepare(output, request.batchCount(), request.frames(), overwrite);
        GenerateOutput out = outs.get(0);

        List<Path> paths = usesBuiltInModel() ? EngineConfig.demo().model() : components.with(model);
        EngineConfig config = new EngineConfig(paths, Optional.ofNullable(tokenizer), Optional.ofNullable(weightType), Optional.ofNullable(t5Tokenizer), !noMmap);
        if (out.isVideo()) {
            // Reads the files' headers only: an image model is refused before its weights load.
            ModelInspection inspection = ModelInspection.of(config);
            if (!inspection.makesVideo()) {
                throw new UserError("cannot write " + output + ": it names a video, and " + inspection.familyName()
                        + " makes images; use .png or .jpg (.jpeg) for an image, or a video model (LTX-2) for a video");
            }
        }
        if (out.dropsParameters()) {
            info.println("note: JPEG output carries no generation parameters (only PNG does)");
        }
        if (usesBuiltInModel()) {
            info.println("note: no --model given, so this uses the built-in tiny model with RANDOM weights: expect noise.");
            if (width == null && height == null && steps == null) {
                info.printf(Locale.ROOT, "      It draws %dx%d in %d steps to finish quickly (-W, -H and --steps change that).%n",
                        request.width(), request.height(), request.steps());
            }
            info.println("      For real images pass a checkpoint: --model path/to/model.safetensors (or .gguf, or a diffusers folder).");
        }
        ProgressBar bar = new ProgressBar(info, ProgressBar.stderrIsTerminal());
        BatchReport batch = new BatchReport();
        try (CancelOnInterrupt interrupt = new CancelOnInterrupt()) {
            LOG.debug("request and output checked; opening the engine");
            try (Engine engine = Engine.open(config)) {
                info.println("model: " + engine.modelFamily());
                // Each image is written as soon as it is done; a Ctrl-C meanwhile waits for the file to be whole.
                engine.generateBatch(request, bar, interrupt.token(), (index, done) -> {
                    bar.finish();
                    GenerateOutput.Written written = writeOrThrow(outs.get(index), done);
                    written.warning().ifPresent(w -> warn.println("warning: " + w));
                    info.printf(Locale.ROOT, "wrote %s in %.1f s%n", written.summary(), done.millis() / 1000.0);
                    info.flush();
                    batch.add(done);
                });
            } catch (GenerationCancelledException e) {
                bar.finish();
                warn.println(e.getMessage() + switch (batch.count()) {
                    case 0 -> "";
                    case 1 -> "; the image before it was written";
                    default -> "; the " + batch.count() + " images before it were written";
                });
                warn.flush();
                return Failures.CANCELLED;
            } finally {
                bar.finish();
            }
        }
        GenerationResult result = batch.last();
        info.println("placement: " + PlanCommand.describe(result.placement()));
        LOG.debug("engine closed; asking the devices whether a GPU was passed over");
        DeviceChoiceNote.explain(DeviceReport::current, result.placement().device(), request.device()).ifPresent(info::println);
        if (result.placement().placement().equals("streamed")) {
            info.println("streamed: " + result.placement().residentBlocks() + " of " + result.placement().blocks()
                    + " diffusion-model blocks resident, " + Bytes.human(result.placement().uploadBytesPerStep()) + " uploaded per step, "
                    + String.format(Locale.ROOT, "%.1f s", batch.uploadWaitMillis() / 1000.0) + " spent waiting for uploads");
        }
        if (result.placement().vaeTileSize() > 0 && request.vaeTileSize() == 0) {
            info.println("decoding: in tiles of " + result.placement().vaeTileSize()
                    + " pixels, chosen by the planner because the whole decode fits no placement (tiling changes pixels)");
        }
        if (result.placement().reason().contains("would fit")) {
            warn.println("warning: " + result.placement().reason());
        }
        if (batch.count() > 1) {
            info.printf(Locale.ROOT, "%d images in %.1f s%n", batch.count(), batch.millis() / 1000.0);
        }
        for (Map.Entry<String, Long> e : result.peakDeviceBytes().entrySet()) {
            if (e.getKey().equals(MemoryPools.MAPPED)) {
                info.printf(Locale.ROOT, "weights read in place from the mapped model file: %s%n", Bytes.human(e.getValue()));
            } else {
                info.printf(Locale.ROOT, "peak device memory on %s (parameters + compute): %s%n", e.getKey(), Bytes.human(e.getValue()));
            }
        }
        info.printf(Locale.ROOT, "parameters uploaded: %s%n", Bytes.human(batch.uploadedBytes()));
        info.printf(Locale.ROOT, "peak process memory (RSS): %s%n", Bytes.human(ProcessMemory.peakRssBytes()));
        info.flush();
        warn.flush();
        LOG.debug("generate done");
        return 0;
    }

    /** The request as given; without --model the size and steps default to the quick ones. */
    GenerationRequest request(PrintWriter err) {
        int defaultSize = usesBuiltInModel() ? BUILT_IN_SIZE : 512;
        SamplerName samplerName = SamplerName.parse(sampler);
        GenerationRequest.Builder b = GenerationRequest.builder(prompt).negativePrompt(negativePrompt)
                .size(width != null ? width : defaultSize, height != null ? height : defaultSize)
                .steps(steps != null ? steps : usesBuiltInModel() ? BUILT_IN_STEPS : 20)
                .cfgScale(cfgScale).guidance(guidance).seed(seed).sampler(samplerName.sampler())
                .schedule(schedule != null ? schedule.toLowerCase(Locale.ROOT) : samplerName.schedule().orElse("discrete")).rng(rng)
                .clipSkip(clipSkip).prediction(prediction).batchCount(batchCount).strength(strength);
        if (initImage != null) b.initImage(initImage);
        if (mask != null) b.mask(mask);
        if (originalSize != null) {
            int[] wh = pair(originalSize, "x", "--original-size");
            b.originalSize(wh[0], wh[1]);
        }
        if (cropTopLeft != null) {
            int[] tl = pair(cropTopLeft, ",", "--crop-top-left");
            b.cropTopLeft(tl[0], tl[1]);
        }
        if (targetSize != null) {
            int[] wh = pair(targetSize, "x", "--target-size");
            b.targetSize(wh[0], wh[1]);
        }
        where.applyTo(b);
        video.applyTo(b);
        loras.applyTo(b);
        threads.applyTo(b, err);
        return b.build();
    }

    /** Writes one image of the batch; an I/O failure stops the batch, as the engine passes it on. */
    private static GenerateOutput.Written writeOrThrow(GenerateOutput out, GenerationResult result) {
        try {
            return out.write(result);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private boolean usesBuiltInModel() {
        return components.with(model).isEmpty();
    }

    /** Two non-negative integers joined by [separator], e.g. 1024x768. */
    private static int[] pair(String text, String separator, String option) {
        String[] parts = text.trim().split(java.util.regex.Pattern.quote(separator), -1);
        try {
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0].trim());
                int b = Integer.parseInt(parts[1].trim());
                if (a >= 0 && b >= 0) return new int[]{a, b};
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new dev.sdj.api.InvalidRequestException(option + " takes two non-negative whole numbers as A" + separator + "B, not '" + text + "'");
    }
}
