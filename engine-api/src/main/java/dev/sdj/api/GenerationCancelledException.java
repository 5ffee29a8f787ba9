package dev.sdj.api;

/** The caller cancelled the generation; no image was produced. */
public class GenerationCancelledException extends EngineException {
    private final int completedSteps;

    public GenerationCancelledException(int completedSteps, int totalSteps) {
        super("generation cancelled after " + completedSteps + " of " + totalSteps + " steps");
        this.completedSteps = completedSteps;
    }

    public int completedSteps() {
        return completedSteps;
    }
}
