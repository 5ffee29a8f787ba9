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

    /**
     * Called before each image (a video model: each clip) of a request starts, a batch of one included; the phase
     * progress that follows is that image's. Phases whose result an earlier image left (the prompt's encoding) report
     * nothing. Does nothing unless overridden.
     *
     * @param index the image's place in the batch, from 0
     * @param count the images in the batch ({@link GenerationRequest#batchCount()})
     */
    default void onImage(int index, int count) {
    }

    /** A listener that ignores progress. */
    ProgressListener NONE = (phase, step, total) -> { };
}
