package dev.sdj.api;

/** The caller cancelled the generation; no image was produced. */
public class GenerationCancelledException extends EngineException {
    /** Denoising steps done before the cancellation was seen. */
    private final int completedSteps;

    /**
     * @param completedSteps denoising steps done before the cancellation was seen
     * @param totalSteps     the steps the request asked for
     */
    public GenerationCancelledException(int completedSteps, int totalSteps) {
        super("generation cancelled after " + completedSteps + " of " + totalSteps + " steps");
        this.completedSteps = completedSteps;
    }

    /** Denoising steps done before the cancellation was seen. */
    public int completedSteps() {
        return completedSteps;
    }
}
