package dev.sdj.api;

import java.util.Objects;
import java.util.Optional;

/**
 * One text-to-image (or, for a video model, text-to-video) request. Build with {@link #builder(String)}; unset fields take the defaults documented on the
 * builder. Validation happens in {@link Builder#build()}, so an engine never sees an invalid request.
 */
public final class GenerationRequest {
    private final String prompt;
    private final String negativePrompt;
    private final int width;
    private final int height;
    private final int steps;
    private final double cfgScale;
    private final double guidance;
    private final long seed;
    private final String sampler;
    private final String schedule;
    private final String rng;
    private final int clipSkip;
    private final String prediction;
    private final String placement;
    private final Long maxDeviceMemory;
    private final java.util.Set<String> cpuComponents;
    private final String device;
    private final Integer threads;
    private final int vaeTileSize;
    private final boolean diffusionFlashAttention;
    private final Boolean vaeConvDirect;
    private final String cfgBatch;
    private final int originalWidth;
    private final int originalHeight;
    private final int cropTop;
    private final int cropLeft;
    private final int targetWidth;
    private final int targetHeight;
    private final int frames;
    private final int fps;
    private final java.util.List<Lora> loras;
    private final java.nio.file.Path loraModelDir;
    private final String loraApplyMode;
    private final int batchCount;
    private final java.nio.file.Path initImage;
    private final double strength;
    private final java.nio.file.Path mask;

    private GenerationRequest(Builder b) {
        this.prompt = b.prompt;
        this.negativePrompt = b.negativePrompt;
        this.width = b.width;
        this.height = b.height;
        this.steps = b.steps;
        this.cfgScale = b.cfgScale;
        this.guidance = b.guidance;
        this.seed = b.seed;
        this.sampler = b.sampler;
        this.schedule = b.schedule;
        this.rng = b.rng;
        this.clipSkip = b.clipSkip;
        this.prediction = b.prediction;
        this.placement = b.placement;
        this.maxDeviceMemory = b.maxDeviceMemory;
        this.cpuComponents = java.util.Set.copyOf(b.cpuComponents);
        this.device = b.device;
        this.threads = b.threads;
        this.vaeTileSize = b.vaeTileSize;
        this.diffusionFlashAttention = b.diffusionFlashAttention;
        this.vaeConvDirect = b.vaeConvDirect;
        this.cfgBatch = b.cfgBatch;
        this.originalWidth = b.originalWidth;
        this.originalHeight = b.originalHeight;
        this.cropTop = b.cropTop;
        this.cropLeft = b.cropLeft;
        this.targetWidth = b.targetWidth;
        this.targetHeight = b.targetHeight;
        this.frames = b.frames;
        this.fps = b.fps;
        this.loras = java.util.List.copyOf(b.loras);
        this.loraModelDir = b.loraModelDir;
        this.loraApplyMode = b.loraApplyMode;
        this.batchCount = b.batchCount;
        this.initImage = b.initImage;
        this.strength = b.strength;
        this.mask = b.mask;
    }

    /** A builder for a request of {@code prompt}, every other field at its default. */
    public static Builder builder(String prompt) {
        return new Builder(prompt);
    }

    /** What the image should show. */
    public String prompt() { return prompt; }
    /** What it should not show (used when {@link #cfgScale()} is not 1). */
    public String negativePrompt() { return negativePrompt; }
    /** Image width in pixels. */
    public int width() { return width; }
    /** Image height in pixels. */
    public int height() { return height; }
    /** Denoising steps. */
    public int steps() { return steps; }
    /** Classifier-free guidance scale; 1 evaluates the model once per step, without the negative prompt. */
    public double cfgScale() { return cfgScale; }
    /**
     * The guidance scale a guidance-distilled model (FLUX.1-dev) embeds as an input, separate from {@link #cfgScale()};
     * models without a guidance input ignore it.
     */
    public double guidance() { return guidance; }
    /**
     * The noise seed: the same seed, request and model give the same image. In a batch, image {@code i} takes
     * {@code seed + i}. A negative seed ({@link Builder#RANDOM_SEED}) asks for a random one: the engine picks it once per
     * call, from 0 to 2³¹ − 1 as stable-diffusion.cpp does, and each result's {@link GenerationResult#seed()} and
     * parameters text say which seed it used.
     */
    public long seed() { return seed; }
    /** euler, euler_a or dpm++2m. */
    public String sampler() { return sampler; }
    /** discrete (the model's own spacing) or karras. */
    public String schedule() { return schedule; }
    /** cuda (stable-diffusion.cpp's default: torch's CUDA generator) or cpu (torch's CPU generator). */
    public String rng() { return rng; }
    /** Text-encoder layers skipped from the end; 0 means the family's default. */
    public int clipSkip() { return clipSkip; }
    /** auto (the model's usual kind), eps or v. */
    public String prediction() { return prediction; }
    /**
     * auto: the fastest placement that fits the device budget; resident: every component stays on the device across
     * phases and generations; sequential: the text encoder is loaded, run and freed before the diffusion model and
     * VAE are loaded, so peak device memory is the larger of the two groups instead of their sum; streamed: as
     * sequential, with the diffusion model's blocks streamed through the device (as many kept resident as fit), for
     * budgets below the diffusion model's size.
     */
    public String placement() { return placement; }
    /** A cap on device memory (parameters + compute) below what the device reports; empty means the device's budget. */
    public java.util.OptionalLong maxDeviceMemory() {
        return maxDeviceMemory == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(maxDeviceMemory);
    }
    /** Components computed on the CPU whatever the device: text_encoder and/or vae (keeps device memory for the UNet). */
    public java.util.Set<String> cpuComponents() { return cpuComponents; }
    /** ggml device name (e.g. CPU, Vulkan0, CUDA0); empty means the engine's choice. */
    public Optional<String> device() { return Optional.ofNullable(device); }
    /** CPU threads; empty means one per physical core. */
    public Optional<Integer> threads() { return Optional.ofNullable(threads); }

    /**
     * Decode the image in overlapping tiles of this many pixels (0: whole). Tiling bounds the decoder's compute buffer
     * by the tile's size instead of the image's, the largest memory cost at 512 pixels and up, at the price of an image
     * that differs slightly from a whole decode (each tile's normalisation sees only the tile; overlaps are blended).
     */
    public int vaeTileSize() { return vaeTileSize; }
    /** Whether the diffusion model uses ggml's fused flash attention; see {@link Builder#diffusionFlashAttention(boolean)}. */
    public boolean diffusionFlashAttention() { return diffusionFlashAttention; }
    /**
     * Whether the VAE's convolutions use ggml's direct convolution, if the request says; empty: im2col
     * (see {@link Builder#vaeConvDirect(boolean)}).
     */
    public Optional<Boolean> vaeConvDirect() { return Optional.ofNullable(vaeConvDirect); }
    /**
     * How classifier-free guidance evaluates the diffusion model: on, the prompt and the negative prompt as one
     * evaluation of a batch of two (the weights are read, or streamed, once per step instead of twice; the compute
     * buffer about doubles); off, two evaluations of one; auto, what {@code tune} measured faster for the shape, else two
     * evaluations (batching changes pixels by rounding, so the placement never chooses it; the plan names it where a
     * streamed placement would upload less). Without guidance (cfg scale 1) there is one evaluation either way; only SD 1.x/2.x
     * and SDXL batch.
     */
    public String cfgBatch() { return cfgBatch; }

    /**
     * SDXL's size conditioning: the size the model is told the training image had (default: the requested size),
     * the top-left corner of the crop taken from it (default 0, 0), and the size it is told to produce (default: the
     * requested size). Other families ignore them.
     */
    public int originalWidth() { return originalWidth > 0 ? originalWidth : width; }
    /** SDXL: the original height the model is conditioned on. */
    public int originalHeight() { return originalHeight > 0 ? originalHeight : height; }
    /** SDXL: the crop's top edge the model is conditioned on. */
    public int cropTop() { return cropTop; }
    /** SDXL: the crop's left edge the model is conditioned on. */
    public int cropLeft() { return cropLeft; }
    /** SDXL: the target width the model is conditioned on. */
    public int targetWidth() { return targetWidth > 0 ? targetWidth : width; }
    /** SDXL: the target height the model is conditioned on. */
    public int targetHeight() { return targetHeight > 0 ? targetHeight : height; }

    /**
     * How many frames a video model generates (1: a still). A video family may round the count to what its latent
     * holds (LTX-2: down to 8k + 1); families that make images ignore it.
     */
    public int frames() { return frames; }
    /**
     * The video's frame rate: a video family times its frames (and LTX-2 the length of its audio) by it; families that
     * make images ignore it.
     */
    public int fps() { return fps; }

    /** LoRA adapters applied besides those the prompt names, in order. */
    public java.util.List<Lora> loras() { return loras; }
    /**
     * Where {@code <lora:name:weight>} in the prompt finds {@code name.safetensors} (or {@code .gguf}); empty: such tags
     * are an error. The tags are removed from the text the encoders see and kept in the image's parameters.
     */
    public Optional<java.nio.file.Path> loraModelDir() { return Optional.ofNullable(loraModelDir); }
    /**
     * How LoRAs reach the weights (stable-diffusion.cpp's {@code --lora-apply-mode}): {@code "immediately"} merges them
     * into the weights as they load, {@code "at_runtime"} adds them as low-rank graph ops at every product with the
     * weight, {@code "auto"} (the default) merges into unquantized weights and adds to quantized ones; {@code plan}
     * says which way each LoRA went and why.
     */
    public String loraApplyMode() { return loraApplyMode; }
    /**
     * How many images (a video model: clips) to generate from this request, with seeds {@link #seed()},
     * {@code seed + 1}, …: the weights load once and the prompt is encoded once, then each image is denoised and
     * decoded on its own, so image {@code i} equals a single generation with seed {@code seed + i}, byte for byte. See
     * {@link Engine#generateBatch}.
     */
    public int batchCount() { return batchCount; }
    /**
     * The image to start from (image-to-image), a PNG or JPEG resized to the request's size when it differs; empty:
     * start from noise. Read when the engine runs the request.
     */
    public Optional<java.nio.file.Path> initImage() { return Optional.ofNullable(initImage); }
    /**
     * How much of the schedule image-to-image runs, in [0, 1], as stable-diffusion.cpp counts it: the last
     * {@code (int) (steps × strength)} steps plus one (all {@code steps} at 1, one at 0), starting from the init
     * image's latent with noise added at that step's sigma. Ignored without an init image.
     */
    public double strength() { return strength; }
    /**
     * The inpainting mask (stable-diffusion.cpp's --mask): an image whose white pixels are repainted and black ones
     * kept, read as grey levels, resized to the request's size when it differs and rounded to black or white. Needs an
     * {@link #initImage() init image}. Empty: the whole image is repainted. Read when the engine runs the request.
     */
    public Optional<java.nio.file.Path> mask() { return Optional.ofNullable(mask); }

    /** A builder holding this request's fields, to derive another request from it. */
    public Builder toBuilder() {
        Builder b = new Builder(prompt).negativePrompt(negativePrompt).size(width, height).steps(steps).cfgScale(cfgScale).guidance(guidance)
                .seed(seed).sampler(sampler).schedule(schedule).rng(rng).clipSkip(clipSkip).prediction(prediction).placement(placement);
        if (maxDeviceMemory != null) b.maxDeviceMemory(maxDeviceMemory);
        b.cpuComponents(cpuComponents);
        if (device != null) b.device(device);
        if (threads != null) b.threads(threads);
        b.vaeTileSize(vaeTileSize);
        b.diffusionFlashAttention(diffusionFlashAttention);
        b.vaeConvDirect = vaeConvDirect;
        b.cfgBatch(cfgBatch);
        b.originalWidth = originalWidth;
        b.originalHeight = originalHeight;
        b.cropTop = cropTop;
        b.cropLeft = cropLeft;
        b.targetWidth = targetWidth;
        b.targetHeight = targetHeight;
        b.frames(frames).fps(fps).batchCount(batchCount);
        b.loras(loras);
        b.loraModelDir = loraModelDir;
        b.loraApplyMode = loraApplyMode;
        b.initImage = initImage;
        b.strength(strength);
        b.mask = mask;
        return b;
    }

    /** Builds a {@link GenerationRequest}; not thread-safe. */
    public static final class Builder {
        /** The ids of {@link Sampler}. */
        public static final java.util.List<String> SAMPLERS = Sampler.ids();
        /** The ids of {@link Schedule}. */
        public static final java.util.List<String> SCHEDULES = Schedule.ids();
        /** The ids of {@link Rng}. */
        public static final java.util.List<String> RNGS = Rng.ids();
        /** The predictions {@link #prediction(String)} takes. */
        public static final java.util.List<String> PREDICTIONS = java.util.List.of("auto", "eps", "v");
        /** The ids of {@link Placement}. */
        public static final java.util.List<String> PLACEMENTS = Placement.ids();
        /** Flash attention's default: off (see {@link #diffusionFlashAttention(boolean)}). */
        public static final boolean DEFAULT_DIFFUSION_FLASH_ATTENTION = false;
        /** What {@link #cfgBatch(String)} takes. */
        public static final java.util.List<String> CFG_BATCHES = java.util.List.of("auto", "on", "off");
        /** A still, as stable-diffusion.cpp's --video-frames defaults to. */
        public static final int DEFAULT_FRAMES = 1;
        /** stable-diffusion.cpp's --fps default. */
        public static final int DEFAULT_FPS = 24;
        /** 8 · 128 + 1 frames: 128 LTX-2 latent frames, about 43 s at 24 fps, twice what LTX-2 was trained on. */
        public static final int MAX_FRAMES = 1025;
        /** The highest frame rate a request may ask for. */
        public static final int MAX_FPS = 240;
        /** The seed that asks the engine for a random one (any negative seed does, as in stable-diffusion.cpp). */
        public static final long RANDOM_SEED = -1;
        /** stable-diffusion.cpp's --strength default. */
        public static final double DEFAULT_STRENGTH = 0.75;

        private String prompt;
        private String negativePrompt = "";
        private int width = 512;
        private int height = 512;
        private int steps = 20;
        private double cfgScale = 7.0;
        private double guidance = 3.5;
        private long seed = 42;
        private String sampler = "euler_a";
        private String schedule = "discrete";
        private String rng = "cuda";
        private int clipSkip = 0;
        private String prediction = "auto";
        private String placement = "auto";
        private Long maxDeviceMemory;
        private java.util.Set<String> cpuComponents = java.util.Set.of();
        private String device;
        private Integer threads;
        private int vaeTileSize;
        private boolean diffusionFlashAttention = DEFAULT_DIFFUSION_FLASH_ATTENTION;
        private Boolean vaeConvDirect;
        private String cfgBatch = "auto";
        private int originalWidth;
        private int originalHeight;
        private int cropTop;
        private int cropLeft;
        private int targetWidth;
        private int targetHeight;
        private int frames = DEFAULT_FRAMES;
        private int fps = DEFAULT_FPS;
        private java.util.List<Lora> loras = java.util.List.of();
        private java.nio.file.Path loraModelDir;
        private String loraApplyMode = "auto";
        private int batchCount = 1;
        private java.nio.file.Path initImage;
        private double strength = DEFAULT_STRENGTH;
        private java.nio.file.Path mask;

        private Builder(String prompt) {
            this.prompt = Objects.requireNonNull(prompt, "prompt");
        }

        /** What the image should show. */
        public Builder prompt(String v) { this.prompt = Objects.requireNonNull(v, "prompt"); return this; }

        /** What the image should not show (default empty). */
        public Builder negativePrompt(String v) { this.negativePrompt = Objects.requireNonNull(v); return this; }
        /** Image size in pixels (default 512×512); both must be multiples of 8. */
        public Builder size(int w, int h) { this.width = w; this.height = h; return this; }
        /** Denoising steps (default 20). */
        public Builder steps(int v) { this.steps = v; return this; }
        /** Classifier-free guidance scale (default 7); 1 disables the negative prompt. */
        public Builder cfgScale(double v) { this.cfgScale = v; return this; }
        /** The distilled guidance scale of models with a guidance input (FLUX.1-dev; default 3.5). */
        public Builder guidance(double v) { this.guidance = v; return this; }
        /** The noise seed (default 42); {@link #RANDOM_SEED} (or any negative seed) for a random one. */
        public Builder seed(long v) { this.seed = v; return this; }
        /** Sampler (default euler_a): one of {@link #SAMPLERS}. */
        public Builder sampler(String v) { this.sampler = v; return this; }
        /** Sampler (default {@link Sampler#EULER_A}). */
        public Builder sampler(Sampler v) { return sampler(v.id()); }
        /** Sigma schedule (default discrete): one of {@link #SCHEDULES}. */
        public Builder schedule(String v) { this.schedule = v; return this; }
        /** Sigma schedule (default {@link Schedule#DISCRETE}). */
        public Builder schedule(Schedule v) { return schedule(v.id()); }
        /** Noise generator (default cuda): one of {@link #RNGS}. */
        public Builder rng(String v) { this.rng = v; return this; }
        /** Noise generator (default {@link Rng#CUDA}). */
        public Builder rng(Rng v) { return rng(v.id()); }
        /** Text-encoder layers to skip from the end; 0 (default) means the family's default (1 for SD 1.x, 2 for SD 2.x). */
        public Builder clipSkip(int v) { this.clipSkip = v; return this; }
        /** What the model predicts (default auto): one of {@link #PREDICTIONS}; SD 2.x 768 models predict v. */
        public Builder prediction(String v) { this.prediction = v; return this; }
        /** Where components live (default auto): one of {@link #PLACEMENTS}. */
        public Builder placement(String v) { this.placement = v; return this; }
        /** Where components live (default {@link Placement#AUTO}). */
        public Builder placement(Placement v) { return placement(v.id()); }
        /**
         * Components to run on the CPU whatever the device, by the names the model's family declares (text_encoder,
         * text_encoder_2, vae, …; "text_encoders" for all of its text encoders); the engine refuses names the model lacks.
         */
        public Builder cpuComponents(java.util.Set<String> v) { this.cpuComponents = java.util.Set.copyOf(v); return this; }
        /** Caps device memory (parameters + compute) in bytes. */
        public Builder maxDeviceMemory(long bytes) { this.maxDeviceMemory = bytes; return this; }
        /** A ggml device name (CPU, Vulkan0, CUDA0, …) to run on instead of the engine's choice. */
        public Builder device(String v) { this.device = v; return this; }
        /** CPU threads (default one per physical core). */
        public Builder threads(int v) { this.threads = v; return this; }
        /** Tiled VAE decoding with tiles of this many pixels, a multiple of 8 of at least 64; 0 (default) decodes whole. */
        public Builder vaeTileSize(int v) { this.vaeTileSize = v; return this; }
        /**
         * Whether the diffusion model computes attention with ggml's fused flash attention where the device supports
         * it (K and V rounded to f16, no score matrix in memory), rather than softmax(K·Q)·V in f32. Off by default:
         * the image differs by rounding only (54 dB PSNR on the tiny model), but ggml's CPU kernel is several times
         * slower than the f32 path at small head sizes; the planner says when it would let a faster placement fit.
         */
        public Builder diffusionFlashAttention(boolean v) { this.diffusionFlashAttention = v; return this; }
        /**
         * The VAE's convolutions wider than 1×1 (decoding, and encoding an init image) through ggml's direct
         * convolution where the device runs it (stable-diffusion.cpp's --vae-conv-direct), or through im2col and a
         * matrix product: the direct path's compute buffer holds no per-pixel input patches (SD 1.5's decoder at 512²
         * on the CPU: 1.88 GiB → 832 MiB). Default: im2col on every device, whatever the budget: direct changes pixels
         * by rounding (95 dB PSNR on the CPU, 64 dB on lavapipe, tiny model), while it decoded as fast on a quiet CPU
         * (1.1–1.6× slower on a loaded one); the plan names it where it would let a faster placement fit, and
         * {@link PlacementReport#vaeConvolution()} says which path runs and why.
         */
        public Builder vaeConvDirect(boolean v) { this.vaeConvDirect = v; return this; }
        /** {@code "auto"} (default), {@code "on"} or {@code "off"}; see {@link GenerationRequest#cfgBatch()}. */
        public Builder cfgBatch(String v) { this.cfgBatch = Objects.requireNonNull(v); return this; }
        /** SDXL: the original size the model is conditioned on; default the requested size. */
        public Builder originalSize(int width, int height) { this.originalWidth = width; this.originalHeight = height; return this; }
        /** SDXL: the crop's top-left corner the model is conditioned on; default 0, 0. */
        public Builder cropTopLeft(int top, int left) { this.cropTop = top; this.cropLeft = left; return this; }
        /** SDXL: the target size the model is conditioned on; default the requested size. */
        public Builder targetSize(int width, int height) { this.targetWidth = width; this.targetHeight = height; return this; }
        /** Video frames, 1 to {@link #MAX_FRAMES} (default 1, a still); image models ignore it. */
        public Builder frames(int v) { this.frames = v; return this; }
        /** Video frames per second, 1 to {@link #MAX_FPS} (default {@value #DEFAULT_FPS}); image models ignore it. */
        public Builder fps(int v) { this.fps = v; return this; }
        /** LoRA adapters to apply (default none), besides those the prompt names; files are checked when the engine runs the request. */
        public Builder loras(java.util.List<Lora> v) { this.loras = java.util.List.copyOf(v); return this; }
        /** Adds one LoRA adapter. */
        public Builder lora(java.nio.file.Path path, double multiplier) {
            java.util.List<Lora> more = new java.util.ArrayList<>(loras);
            more.add(new Lora(path, multiplier));
            this.loras = java.util.List.copyOf(more);
            return this;
        }
        /** The folder {@code <lora:name:weight>} tags in the prompt are looked up in (stable-diffusion.cpp's --lora-model-dir). */
        public Builder loraModelDir(java.nio.file.Path v) { this.loraModelDir = Objects.requireNonNull(v); return this; }
        /** {@code "auto"} (default), {@code "immediately"} or {@code "at_runtime"}; see {@link GenerationRequest#loraApplyMode()}. */
        public Builder loraApplyMode(String v) { this.loraApplyMode = Objects.requireNonNull(v); return this; }
        /** How many images to generate, at least 1 (default 1); see {@link GenerationRequest#batchCount()}. */
        public Builder batchCount(int v) { this.batchCount = v; return this; }
        /** The image to start from (image-to-image, stable-diffusion.cpp's --init-img); see {@link GenerationRequest#initImage()}. */
        public Builder initImage(java.nio.file.Path v) { this.initImage = Objects.requireNonNull(v); return this; }
        /** Image-to-image strength in [0, 1] (default {@value #DEFAULT_STRENGTH}); see {@link GenerationRequest#strength()}. */
        public Builder strength(double v) { this.strength = v; return this; }
        /** The inpainting mask, white = repaint; needs {@link #initImage}. See {@link GenerationRequest#mask()}. */
        public Builder mask(java.nio.file.Path v) { this.mask = Objects.requireNonNull(v); return this; }

        /**
         * The request.
         *
         * @throws InvalidRequestException naming the field and the value allowed, when one is invalid
         */
        public GenerationRequest build() {
            requireEncodableText("prompt", prompt);
            requireEncodableText("negative prompt", negativePrompt);
            if (width <= 0 || height <= 0 || width % 8 != 0 || height % 8 != 0) {
                throw new InvalidRequestException("size " + width + "x" + height + " is invalid: width and height must be positive multiples of 8");
            }
            if (steps <= 0) {
                throw new InvalidRequestException("steps must be at least 1, got " + steps);
            }
            if (!(cfgScale >= 0) || Double.isInfinite(cfgScale)) {
                throw new InvalidRequestException("cfg scale must be a finite number ≥ 0, got " + cfgScale);
            }
            if (!(guidance >= 0) || Double.isInfinite(guidance)) {
                throw new InvalidRequestException("guidance must be a finite number ≥ 0, got " + guidance);
            }
            if (!SAMPLERS.contains(sampler)) {
                throw new InvalidRequestException("unknown sampler '" + sampler + "'; choose one of " + String.join(", ", SAMPLERS));
            }
            if (!SCHEDULES.contains(schedule)) {
                throw new InvalidRequestException("unknown schedule '" + schedule + "'; choose one of " + String.join(", ", SCHEDULES));
            }
            if (!RNGS.contains(rng)) {
                throw new InvalidRequestException("unknown rng '" + rng + "'; choose one of " + String.join(", ", RNGS));
            }
            if (!PREDICTIONS.contains(prediction)) {
                throw new InvalidRequestException("unknown prediction '" + prediction + "'; choose one of " + String.join(", ", PREDICTIONS));
            }
            if (!CFG_BATCHES.contains(cfgBatch)) {
                throw new InvalidRequestException("unknown cfg batch '" + cfgBatch + "'; choose one of " + String.join(", ", CFG_BATCHES));
            }
            if (!PLACEMENTS.contains(placement)) {
                throw new InvalidRequestException("unknown placement '" + placement + "'; choose one of " + String.join(", ", PLACEMENTS));
            }
            if (maxDeviceMemory != null && maxDeviceMemory <= 0) {
                throw new InvalidRequestException("max device memory must be positive, got " + maxDeviceMemory);
            }
            for (String c : cpuComponents) {
                if (!c.matches("[a-z][a-z0-9_]*")) {
                    throw new InvalidRequestException("'" + c + "' is not a component name (text_encoder, vae, …)");
                }
            }
            if (clipSkip < 0) {
                throw new InvalidRequestException("clip skip must be ≥ 0 (0 = the model's default), got " + clipSkip);
            }
            if (vaeTileSize != 0 && (vaeTileSize < 64 || vaeTileSize % 8 != 0)) {
                throw new InvalidRequestException("VAE tile size must be 0 (no tiling) or a multiple of 8 of at least 64, got " + vaeTileSize);
            }
            if (originalWidth < 0 || originalHeight < 0 || targetWidth < 0 || targetHeight < 0 || cropTop < 0 || cropLeft < 0) {
                throw new InvalidRequestException("SDXL size conditioning must not be negative: original " + originalWidth + "x"
                        + originalHeight + ", crop " + cropTop + "," + cropLeft + ", target " + targetWidth + "x" + targetHeight);
            }
            if (frames < 1 || frames > MAX_FRAMES) {
                throw new InvalidRequestException("frames must be between 1 (a still) and " + MAX_FRAMES + ", got " + frames);
            }
            if (fps < 1 || fps > MAX_FPS) {
                throw new InvalidRequestException("fps must be between 1 and " + MAX_FPS + ", got " + fps);
            }
            if (batchCount < 1) {
                throw new InvalidRequestException("batch count must be at least 1 (the number of images), got " + batchCount);
            }
            if (seed >= 0 && seed > Long.MAX_VALUE - (batchCount - 1)) {
                throw new InvalidRequestException("seed " + seed + " with a batch of " + batchCount + " would pass the largest seed, "
                        + Long.MAX_VALUE + ", at image " + (Long.MAX_VALUE - seed + 1) + "; give a smaller seed");
            }
            if (!java.util.List.of("auto", "immediately", "at_runtime").contains(loraApplyMode)) {
                throw new InvalidRequestException("LoRA apply mode must be auto, immediately or at_runtime, got '" + loraApplyMode + "'");
            }
            if (!(strength >= 0 && strength <= 1)) {
                throw new InvalidRequestException("strength must be between 0 and 1, got " + strength);
            }
            if (mask != null && initImage == null) {
                throw new InvalidRequestException("mask " + mask + " needs an init image to repaint: give one with initImage (--init-img)");
            }
            if (threads != null && threads < 1) {
                throw new InvalidRequestException("threads must be at least 1, got " + threads);
            }
            return new GenerationRequest(this);
        }

        /**
         * A NUL or a lone surrogate cannot be stored in the PNG's parameters text; caught here, they would fail only
         * after the whole generation, when the image is written.
         */
        private static void requireEncodableText(String what, String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\0') {
                    throw new InvalidRequestException("the " + what + " contains a NUL character at index " + i);
                }
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new InvalidRequestException("the " + what + " contains a lone UTF-16 surrogate (U+"
                            + String.format("%04X", (int) c) + ") at index " + i + ": it is not valid Unicode text");
                }
            }
        }
    }
}
