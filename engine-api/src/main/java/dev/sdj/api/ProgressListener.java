package dev.sdj.api;

/** Progress of a generation, called on the generating thread; keep it quick. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param phase "text encoding", "denoising" or "decoding"
     * @param step steps done in this phase
     * @param total steps in this phase
     */
    void onProgress(String phase, int step, int total);

    /** A listener that ignores progress. */
    ProgressListener NONE = (phase, step, total) -> { };
}
