package dev.sdj.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an engine is opened on: the model (a checkpoint, a diffusers folder, or component files), when the model
 * brings none, the tokenizer, optionally the type weights are quantized to while loading, and whether the CPU reads
 * weights in place from the memory-mapped model files.
 *
 * Build one with {@link #builder()} (or {@link #of} for a model alone); the record's constructors stay for code that
 * already uses them.
 *
 * @param model the model's files: one checkpoint (.safetensors or .gguf), a sharded *.safetensors.index.json, a
 *              diffusers folder, or component files (diffusion model, text encoders, VAE) in any order: the engine
 *              tells each file's role from its tensors
 * @param tokenizer the (first, CLIP) text encoder's tokenizer, in place of the model's own
 * @param t5Tokenizer a T5 text encoder's tokenizer (Flux's second), in place of the model's own: a tokenizer.json
 *                    (google/t5-v1_1-xxl's, or FLUX.1's tokenizer_2/), a spiece.model, or a folder holding one
 *
 * @param weightType a ggml type name such as {@code q8_0} or {@code q4_K} (stable-diffusion.cpp's {@code --type}):
 *                   f32, f16 and bf16 weights are quantized to it while loading, by stable-diffusion.cpp's rule of
 *                   which tensors to convert; empty keeps the stored types
 * @param mapWeights where components are computed on the CPU, serve the weights it can read as stored (same type,
 *                   data 32-byte aligned in the file) from a read-only mapping of the model file instead of copying
 *                   them into allocated memory: loading is then nearly free and the process holds no second copy.
 *                   Images are the same bit for bit either way. The default; false copies every weight (the
 *                   comparison for tests and benchmarks). Mapped weights are file-backed: the model file must not
 *                   change while the engine is open.
 * @param cacheDirectory where this engine keeps what it learns across runs: {@code tune.json} (placements
 *                   {@link Engine#tune} measured) and {@code model-hashes.tsv} (checkpoint hashes for the PNG's
 *                   parameters); empty means sdj's cache directory ({@code SDJ_CACHE_DIR}, else
 *                   {@code $XDG_CACHE_HOME/sdj} or {@code ~/.cache/sdj}), which also holds the extracted ggml
 *                   libraries and the demo model whatever this says
 */
public record EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType, Optional<Path> t5Tokenizer,
                           boolean mapWeights, Optional<Path> cacheDirectory) {
    /** Checks the model is given and copies it: the record is immutable. */
    public EngineConfig {
        Objects.requireNonNull(model, "model");
        if (model.isEmpty()) {
            throw new InvalidRequestException("no model given: pass a checkpoint file, a diffusers folder, or component files");
        }
        model = List.copyOf(model);
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(weightType, "weightType");
        Objects.requireNonNull(t5Tokenizer, "t5Tokenizer");
        Objects.requireNonNull(cacheDirectory, "cacheDirectory");
    }

    /** A configuration using sdj's cache directory. */
    public EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType, Optional<Path> t5Tokenizer,
                        boolean mapWeights) {
        this(model, tokenizer, weightType, t5Tokenizer, mapWeights, Optional.empty());
    }

    /** A configuration with weights mapped (the default). */
    public EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType, Optional<Path> t5Tokenizer) {
        this(model, tokenizer, weightType, t5Tokenizer, true);
    }

    /** A configuration without a T5 tokenizer, weights mapped. */
    public EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType) {
        this(model, tokenizer, weightType, Optional.empty());
    }

    /** A configuration keeping the stored weight types, without a T5 tokenizer, weights mapped. */
    public EngineConfig(List<Path> model, Optional<Path> tokenizer) {
        this(model, tokenizer, Optional.empty());
    }

    /** This configuration with weights quantized to {@code type} while loading. */
    public EngineConfig withWeightType(String type) {
        return new EngineConfig(model, tokenizer, Optional.of(type), t5Tokenizer, mapWeights, cacheDirectory);
    }

    /** This configuration with {@code path} as the T5 text encoder's tokenizer. */
    public EngineConfig withT5Tokenizer(Path path) {
        return new EngineConfig(model, tokenizer, weightType, Optional.of(path), mapWeights, cacheDirectory);
    }

    /** This configuration with weights served from the mapped model files on the CPU ({@code true}) or copied. */
    public EngineConfig withWeightMapping(boolean map) {
        return new EngineConfig(model, tokenizer, weightType, t5Tokenizer, map, cacheDirectory);
    }

    /** The model in {@code model}'s files (see {@link #model()}), every other setting its default. */
    public static EngineConfig of(Path... model) {
        return new EngineConfig(List.of(model), Optional.empty());
    }

    /**
     * The built-in demo model: a tiny Stable Diffusion 1.x-shaped model with RANDOM weights and its own vocabulary,
     * written into sdj's cache directory ({@code SDJ_CACHE_DIR}, else {@code $XDG_CACHE_HOME/sdj} or {@code ~/.cache/sdj}) on first use. Its images are noise;
     * it shows that the engine runs end to end (a 128×128 image in 10 steps takes seconds on two cores) without any
     * download.
     *
     * @throws EngineException when no engine implementation is on the class path or the cache is not writable
     */
    public static EngineConfig demo() {
        return of(Providers.provider().demoModel());
    }

    /** A builder with no model yet and every other setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link EngineConfig} setting by setting; not thread-safe. */
    public static final class Builder {
        private final List<Path> model = new java.util.ArrayList<>();
        private Path tokenizer;
        private Path t5Tokenizer;
        private String weightType;
        private boolean mapWeights = true;
        private Path cacheDirectory;

        private Builder() {
        }

        /** Adds model files or folders (see {@link EngineConfig#model()}); may be called again for more files. */
        public Builder model(Path... files) {
            for (Path f : files) {
                model.add(Objects.requireNonNull(f, "model file"));
            }
            return this;
        }

        /** Adds model files or folders, as {@link #model(Path...)}. */
        public Builder model(List<Path> files) {
            return model(files.toArray(Path[]::new));
        }

        /** The CLIP text encoder's tokenizer, when the model has none (see {@link EngineConfig#tokenizer()}). */
        public Builder tokenizer(Path path) {
            this.tokenizer = Objects.requireNonNull(path, "tokenizer");
            return this;
        }

        /** The T5 text encoder's tokenizer, when the model has none (see {@link EngineConfig#t5Tokenizer()}). */
        public Builder t5Tokenizer(Path path) {
            this.t5Tokenizer = Objects.requireNonNull(path, "t5Tokenizer");
            return this;
        }

        /** Quantizes f32, f16 and bf16 weights to this ggml type while loading (see {@link EngineConfig#weightType()}). */
        public Builder weightType(String type) {
            this.weightType = Objects.requireNonNull(type, "weightType");
            return this;
        }

        /** Whether the CPU reads weights in place from the mapped files (default true; see {@link EngineConfig#mapWeights()}). */
        public Builder mapWeights(boolean map) {
            this.mapWeights = map;
            return this;
        }

        /** Where the engine keeps tune.json and model-hashes.tsv (see {@link EngineConfig#cacheDirectory()}). */
        public Builder cacheDirectory(Path directory) {
            this.cacheDirectory = Objects.requireNonNull(directory, "cacheDirectory");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws InvalidRequestException when no model file was added
         */
        public EngineConfig build() {
            return new EngineConfig(model, Optional.ofNullable(tokenizer), Optional.ofNullable(weightType), Optional.ofNullable(t5Tokenizer), mapWeights,
                    Optional.ofNullable(cacheDirectory));
        }
    }
}
