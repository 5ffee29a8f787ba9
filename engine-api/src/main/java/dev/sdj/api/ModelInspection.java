package dev.sdj.api;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model's files hold, read without loading any weights: the family, each component's tensors, parameters and
 * bytes by type, the bytes each component's parameters take on every device as the engine would lay them out, and
 * which text encoders have a tokenizer.
 *
 * @param family            the family's id: SD1, SD2, SDXL, FLUX, LTX2, …
 * @param familyName        the family's name, e.g. "Stable Diffusion 1.x"
 * @param inputs            the files and folders read
 * @param components        the components found, in the engine's order
 * @param ignoredTensors    tensors that belong to no component (the engine does not load them)
 * @param tokenizers        the tokenizer found for each text encoder that has one
 * @param missingTokenizers text encoders that have none yet: the user must pass one
 */
public record ModelInspection(String family, String familyName, List<Path> inputs, List<Component> components,
                              List<String> ignoredTensors, List<Tokenizer> tokenizers, List<Role> missingTokenizers) {
    /** Lists are copied: the record is immutable. */
    public ModelInspection {
        inputs = List.copyOf(inputs);
        components = List.copyOf(components);
        ignoredTensors = List.copyOf(ignoredTensors);
        tokenizers = List.copyOf(tokenizers);
        missingTokenizers = List.copyOf(missingTokenizers);
    }

    /**
     * Inspects the model of {@code model} (its files and tokenizers; the weight type and mapping are not used), with
     * device bytes for every device of this process.
     *
     * @throws ModelFileException        when a file cannot be read or is not a model
     * @throws UnsupportedModelException when the files are a model the engine does not know
     * @throws EngineException           when no engine implementation is on the class path
     */
    public static ModelInspection of(EngineConfig model) {
        return Providers.provider().inspect(model);
    }

    /**
     * True when the family generates video ({@link GenerationResult#video()} is present): LTX-2. An application can
     * refuse a video output name for an image model before loading any weights.
     */
    public boolean makesVideo() {
        return family.equals("LTX2");
    }

    /**
     * A component's role in its model.
     *
     * @param kind  its id: DIFFUSION_MODEL, TEXT_ENCODER, TEXT_ENCODER_2, VAE, …
     * @param label its name in messages, e.g. "text encoder 2"
     */
    public record Role(String kind, String label) {
    }

    /**
     * One component.
     *
     * @param role               what it is
     * @param tensors            how many tensors it has
     * @param parameters         how many values its tensors hold
     * @param fileBytes          the bytes its tensors take in the files
     * @param bytesByType        stored bytes by ggml type, named in upper case (F16, Q8_0, Q4_K)
     * @param deviceBytes        ggml device name → bytes its parameters take there
     * @param unsupportedTensors tensors whose type cannot be a device parameter (bool, unsigned integers)
     * @param convertedTensors   ggml device name → tensors loaded in another type because that device's ops do not
     *                           take theirs, counted by conversion (e.g. "bf16 → f32")
     */
    public record Component(Role role, int tensors, long parameters, long fileBytes, Map<String, Long> bytesByType,
                            Map<String, Long> deviceBytes, List<String> unsupportedTensors,
                            Map<String, Map<String, Integer>> convertedTensors) {
        /** Copies the maps and lists, keeping their order: the record is immutable. */
        public Component {
            bytesByType = ordered(bytesByType);
            deviceBytes = ordered(deviceBytes);
            unsupportedTensors = List.copyOf(unsupportedTensors);
            Map<String, Map<String, Integer>> converted = new LinkedHashMap<>();
            convertedTensors.forEach((device, counts) -> converted.put(device, ordered(counts)));
            convertedTensors = Collections.unmodifiableMap(converted);
        }

        private static <V> Map<String, V> ordered(Map<String, V> map) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(map));
        }
    }

    /**
     * A text encoder's tokenizer.
     *
     * @param encoder     the text encoder it serves
     * @param description where it was found, e.g. "GGUF metadata of model.gguf (49408 tokens, …)"
     */
    public record Tokenizer(Role encoder, String description) {
    }
}
