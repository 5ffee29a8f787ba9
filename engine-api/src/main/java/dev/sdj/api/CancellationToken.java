package dev.sdj.api;

/** Lets another thread stop a running generation; the engine checks it at least once per denoising step. */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Asks the generation to stop; it stops at its next check and throws {@link GenerationCancelledException}. */
    public void cancel() {
        cancelled = true;
    }

    /** Whether {@link #cancel} was called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
