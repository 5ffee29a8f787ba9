package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** CPU threads, capped at the processors available with a warning: shared by generate, tune and bench. */
final class ThreadsOption {
    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "CPU threads, at most the processors available (default: one per physical core); 0 or less means the default, as in stable-diffusion.cpp.")
    Integer threads;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b, PrintWriter err) {
        // stable-diffusion.cpp's -t -1, its default, means one per physical core.
        if (threads == null || threads <= 0) return b;
        int available = Runtime.getRuntime().availableProcessors();
        if (threads > available) {
            err.println("warning: --threads " + threads + " is more than the " + available
                    + " processors available, which only slows ggml down; using " + available);
        }
        return b.threads(Math.min(threads, available));
    }
}
