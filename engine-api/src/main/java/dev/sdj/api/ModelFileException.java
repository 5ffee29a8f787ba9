package dev.sdj.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A model file that cannot be used: it names the file, the tensor when one is at fault, and the reason, so the
 * message alone tells a user what to fix or report.
 */
public class ModelFileException extends EngineException {
    /** The file at fault. */
    private final Path file;
    /** The tensor at fault, or null. */
    private final String tensor;
    /** What is wrong. */
    private final String reason;

    /**
     * @param file   the file at fault
     * @param tensor the tensor at fault, or null when the file as a whole is
     * @param reason what is wrong
     */
    public ModelFileException(Path file, String tensor, String reason) {
        this(file, tensor, reason, null);
    }

    /** As {@link #ModelFileException(Path, String, String)}, with the failure underneath. */
    public ModelFileException(Path file, String tensor, String reason, Throwable cause) {
        super(file + (tensor != null ? ": tensor '" + tensor + "'" : "") + ": " + reason, cause);
        this.file = file;
        this.tensor = tensor;
        this.reason = reason;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, when one is. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    /** What is wrong, without the file and tensor. */
    public String reason() {
        return reason;
    }
}
