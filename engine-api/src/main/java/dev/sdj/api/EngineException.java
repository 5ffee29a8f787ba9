package dev.sdj.api;

/** Base of the engine's typed errors: the message names what failed and where. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
