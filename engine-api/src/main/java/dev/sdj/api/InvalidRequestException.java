package dev.sdj.api;

/** A request the engine cannot run as given (bad size, steps, sampler, device…); the message says what to change. */
public class InvalidRequestException extends EngineException {
    /** @param message what is wrong with the request and what to change */
    public InvalidRequestException(String message) {
        super(message);
    }
}
