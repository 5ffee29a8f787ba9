package dev.sdj.api;

/** The files are readable but hold no model the engine supports (or not all the parts one needs). */
public class UnsupportedModelException extends EngineException {
    /** @param message what the files hold and what the engine would need */
    public UnsupportedModelException(String message) {
        super(message);
    }
}
