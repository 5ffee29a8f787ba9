package dev.sdj.cli;

import dev.sdj.api.CancellationToken;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) cancels the running generation instead of killing it mid-step or mid-write: the JVM's shutdown
 * waits, for a bounded time, until the command has stopped at a step boundary and said so.
 */
final class CancelOnInterrupt implements AutoCloseable {
    /** Longer than one denoising step of a large model on a slow device, short enough for a user's patience. */
    private static final long WAIT_SECONDS = 15;
    private final CancellationToken token = new CancellationToken();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook = new Thread(this::cancelAndWait, "sdj-cancel");

    CancelOnInterrupt() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    CancellationToken token() {
        return token;
    }

    private void cancelAndWait() {
        token.cancel();
        try {
            stopped.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Call once the command has reported how it ended: a running shutdown then completes. */
    @Override
    public void close() {
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shutdownRunning) {
            // The hook is running and returns now that the command has stopped.
        }
    }
}
