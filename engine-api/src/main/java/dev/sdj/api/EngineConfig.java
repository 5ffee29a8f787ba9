package dev.sdj.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an engine is opened on: the model (a checkpoint, a diffusers folder, or component files), when the model
 * brings none, the tokenizer, and optionally the type weights are quantized to while loading.
 *
 * @param weightType a ggml type name such as {@code q8_0} or {@code q4_K} (stable-diffusion.cpp's {@code --type}):
 *                   f32, f16 and bf16 weights are quantized to it while loading, by stable-diffusion.cpp's rule of
 *                   which tensors to convert; empty keeps the stored types
 */
public record EngineConfig(List<Path> model, Optional<Path> tokenizer, Optional<String> weightType) {
    public EngineConfig {
        Objects.requireNonNull(model, "model");
        if (model.isEmpty()) {
            throw new InvalidRequestException("no model given: pass a checkpoint file, a diffusers folder, or component files");
        }
        model = List.copyOf(model);
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(weightType, "weightType");
    }

    public EngineConfig(List<Path> model, Optional<Path> tokenizer) {
        this(model, tokenizer, Optional.empty());
    }

    /** This configuration with weights quantized to {@code type} while loading. */
    public EngineConfig withWeightType(String type) {
        return new EngineConfig(model, tokenizer, Optional.of(type));
    }

    public static EngineConfig of(Path... model) {
        return new EngineConfig(List.of(model), Optional.empty());
    }
}
