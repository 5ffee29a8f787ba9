package dev.sdj.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A model file that cannot be used: it names the file, the tensor when one is at fault, and the reason, so the
 * message alone tells a user what to fix or report.
 */
public class ModelFileException extends EngineException {
    private final Path file;
    private final String tensor;
    private final String reason;

    public ModelFileException(Path file, String tensor, String reason) {
        this(file, tensor, reason, null);
    }

    public ModelFileException(Path file, String tensor, String reason, Throwable cause) {
        super(file + (tensor != null ? ": tensor '" + tensor + "'" : "") + ": " + reason, cause);
        this.file = file;
        this.tensor = tensor;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    public String reason() {
        return reason;
    }
}
