package dev.sdj.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an engine is opened on: the model (a checkpoint, a diffusers folder, or component files) and, when the model
 * brings none, the tokenizer.
 */
public record EngineConfig(List<Path> model, Optional<Path> tokenizer) {
    public EngineConfig {
        Objects.requireNonNull(model, "model");
        if (model.isEmpty()) {
            throw new InvalidRequestException("no model given: pass a checkpoint file, a diffusers folder, or component files");
        }
        model = List.copyOf(model);
        Objects.requireNonNull(tokenizer, "tokenizer");
    }

    public static EngineConfig of(Path... model) {
        return new EngineConfig(List.of(model), Optional.empty());
    }
}
