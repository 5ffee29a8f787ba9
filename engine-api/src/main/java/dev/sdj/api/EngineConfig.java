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
 */
public record EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType, Optional<Path> t5Tokenizer,
                           boolean mapWeights) {
    public EngineConfig {
        Objects.requireNonNull(model, "model");
        if (model.isEmpty()) {
            throw new InvalidRequestException("no model given: pass a checkpoint file, a diffusers folder, or component files");
        }
        model = List.copyOf(model);
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(weightType, "weightType");
        Objects.requireNonNull(t5Tokenizer, "t5Tokenizer");
    }

    public EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType, Optional<Path> t5Tokenizer) {
        this(model, tokenizer, weightType, t5Tokenizer, true);
    }

    public EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType) {
        this(model, tokenizer, weightType, Optional.empty());
    }

    public EngineConfig(List<Path> model, Optional<Path> tokenizer) {
        this(model, tokenizer, Optional.empty());
    }

    /** This configuration with weights quantized to {@code type} while loading. */
    public EngineConfig withWeightType(String type) {
        return new EngineConfig(model, tokenizer, Optional.of(type), t5Tokenizer, mapWeights);
    }

    /** This configuration with {@code path} as the T5 text encoder's tokenizer. */
    public EngineConfig withT5Tokenizer(Path path) {
        return new EngineConfig(model, tokenizer, weightType, Optional.of(path), mapWeights);
    }

    /** This configuration with weights served from the mapped model files on the CPU ({@code true}) or copied. */
    public EngineConfig withWeightMapping(boolean map) {
        return new EngineConfig(model, tokenizer, weightType, t5Tokenizer, map);
    }

    public static EngineConfig of(Path... model) {
        return new EngineConfig(List.of(model), Optional.empty());
    }
}
