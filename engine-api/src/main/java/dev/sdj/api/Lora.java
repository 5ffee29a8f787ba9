package dev.sdj.api;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A LoRA adapter applied to a generation: its file (safetensors or GGUF; kohya/A1111 {@code lora_unet_…}/{@code lora_te_…},
 * LoCon, or diffusers/PEFT {@code lora_A}/{@code lora_B} names) and how strongly: each weight W it adapts becomes
 * W + multiplier · scale · up·down, scale = alpha / rank when the file stores an alpha, else 1.
 *
 * @param path the LoRA file
 * @param multiplier its strength; 1 as trained, 0 changes nothing, negative values subtract it
 */
public record Lora(Path path, double multiplier) {
    /** @throws InvalidRequestException when the multiplier is not a finite number */
    public Lora {
        Objects.requireNonNull(path, "path");
        if (!Double.isFinite(multiplier)) {
            throw new InvalidRequestException("LoRA multiplier must be a finite number, got " + multiplier + " for " + path);
        }
    }
}
