package dev.sdj.api;

/** Base of the engine's typed errors: the message names what failed and where. */
public class EngineException extends RuntimeException {
    /** @param message what failed and where */
    public EngineException(String message) {
        super(message);
    }

    /**
     * @param message what failed and where
     * @param cause   the failure underneath
     */
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
