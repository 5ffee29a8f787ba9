package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** LoRA adapters, given by path or named in the prompt; `generate` and `plan` take them alike. */
final class LoraOptions {
    @Option(names = "--lora", paramLabel = "PATH[:WEIGHT]",
            description = "A LoRA to apply to the model's weights (safetensors or GGUF), with its weight (default 1); repeatable.")
    List<String> loras = new ArrayList<>();

    @Option(names = "--lora-model-dir", paramLabel = "DIR",
            description = "Where <lora:name:weight> in the prompt finds name.safetensors or name.gguf (the tag is removed from the text encoded).")
    Path loraModelDir;

    @Option(names = "--lora-apply-mode", paramLabel = "MODE", defaultValue = "auto",
            description = {"How LoRAs reach the weights (default: ${DEFAULT-VALUE}): immediately (merged into the weights as they load),",
                "at_runtime (added as low-rank graph ops at every step), auto (merged into unquantized weights, at runtime on quantized ones)."})
    String loraApplyMode;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        for (String lora : loras) {
            int colon = lora.lastIndexOf(':');
            String weight = colon > 0 ? lora.substring(colon + 1) : "";
            double multiplier = 1;
            String path = lora;
            if (colon > 0 && weight.matches("[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?")) {
                multiplier = Double.parseDouble(weight);
                path = lora.substring(0, colon);
            }
            b.lora(Path.of(path), multiplier);
        }
        if (loraModelDir != null) b.loraModelDir(loraModelDir);
        b.loraApplyMode(loraApplyMode);
        return b;
    }
}
