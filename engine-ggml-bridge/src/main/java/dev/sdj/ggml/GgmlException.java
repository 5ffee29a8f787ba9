package dev.sdj.ggml;

/** A ggml call failed or a native handle was used after it was released. */
public class GgmlException extends RuntimeException {
    public GgmlException(String message) {
        super(message);
    }

    public GgmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
