package dev.sdj.api;

import java.util.ArrayList;
import java.util.List;

/**
 * A diffusion engine opened once on a model and used for many generations; it keeps what it loaded between them.
 * Thread-safe: concurrent calls of {@link #generate}, {@link #plan} and {@link #tune} on one engine run one after
 * another (they share its loaded weights); for generations in parallel open one engine per thread. Close it to free
 * every buffer it holds: {@code close} waits for a running call, may be repeated, and afterwards every other method
 * throws {@link IllegalStateException}.
 */
public interface Engine extends AutoCloseable {

    /**
     * Generates one image.
     *
     * @throws InvalidRequestException       when the request does not suit this model or machine, or asks for a batch
     *                                       of more than one image (those go through {@link #generateBatch})
     * @throws GenerationCancelledException  when {@code cancel} was cancelled before the image was done
     * @throws EngineException               for every other failure, with what and where in the message
     */
    GenerationResult generate(GenerationRequest request, ProgressListener progress, CancellationToken cancel);

    /**
     * Generates the request's batch of {@link GenerationRequest#batchCount()} images (a video model: clips), image
     * {@code i} with seed {@code seed + i} (a random first seed for a negative one, chosen once), and hands each to
     * {@code onResult} as soon as it is done, so the batch is never held in memory at once. The placement is decided
     * once for the whole batch, the weights load once and the prompt is encoded once; each image is then denoised and
     * decoded on its own, so image {@code i} equals {@link #generate} with seed {@code seed + i}, byte for byte.
     * {@link ProgressListener#onImage} announces each image before its phases' progress. Of each result,
     * {@code millis} is that image's time (the first one's includes loading and encoding), {@code uploadedParameterBytes}
     * what was loaded for it, and {@code peakDeviceBytes} the peaks since the batch began.
     *
     * @throws InvalidRequestException       when the request does not suit this model or machine
     * @throws GenerationCancelledException  when {@code cancel} was cancelled before the last image was done; the
     *                                       images handed to {@code onResult} before stay valid
     * @throws EngineException               for every other failure, with what and where in the message
     */
    void generateBatch(GenerationRequest request, ProgressListener progress, CancellationToken cancel, ResultListener onResult);

    /**
     * {@link #generateBatch(GenerationRequest, ProgressListener, CancellationToken, ResultListener)} collecting the
     * results in batch order, for batches small enough to hold in memory at once.
     */
    default List<GenerationResult> generateBatch(GenerationRequest request, ProgressListener progress, CancellationToken cancel) {
        List<GenerationResult> results = new ArrayList<>(request.batchCount());
        generateBatch(request, progress, cancel, (index, result) -> results.add(result));
        return results;
    }

    /** {@link #generate(GenerationRequest, ProgressListener, CancellationToken)} without progress or cancellation. */
    default GenerationResult generate(GenerationRequest request) {
        return generate(request, ProgressListener.NONE, new CancellationToken());
    }

    /**
     * The placement a request would get — device, plan, predicted peak and budget — decided as {@link #generate}
     * decides it, without loading any weights.
     */
    PlacementReport plan(GenerationRequest request);

    /**
     * Runs the request for {@code steps} steps under each placement that fits its budget, stores the fastest for this
     * device, model and request shape in the user's cache ({@code tune.json} in sdj's cache directory), and returns
     * the timings. Later {@code auto} requests of that shape use the stored placement while it still fits.
     */
    TuneReport tune(GenerationRequest request, int steps, ProgressListener progress);

    /** The model family's name, e.g. "Stable Diffusion 1.x". */
    String modelFamily();

    /** Frees every buffer the engine holds; waits for a running call and may be repeated. */
    @Override
    void close();

    /**
     * Opens an engine through the implementation on the class path (engine-core).
     *
     * @throws ModelFileException      when a model file cannot be read or is not a model
     * @throws EngineException         when no implementation is on the class path, or ggml cannot be loaded
     */
    static Engine open(EngineConfig config) {
        return Providers.provider().open(config);
    }
}
