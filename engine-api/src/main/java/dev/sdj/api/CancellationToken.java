package dev.sdj.api;

/** Lets another thread stop a running generation; the engine checks it at least once per denoising step. */
public final class CancellationToken {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
