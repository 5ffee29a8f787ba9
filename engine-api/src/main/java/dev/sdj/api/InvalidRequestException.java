package dev.sdj.api;

/** A request the engine cannot run as given (bad size, steps, sampler, device…); the message says what to change. */
public class InvalidRequestException extends EngineException {
    public InvalidRequestException(String message) {
        super(message);
    }
}
