package dev.sdj.api;

/**
 * Receives each image (a video model: each clip) of a batch as soon as it is done, on the generating thread, so that an
 * application can show or store it while the next one is denoised and need not hold the whole batch in memory (a clip
 * is hundreds of megabytes). An exception it throws stops the batch and reaches the caller of
 * {@link Engine#generateBatch}.
 */
@FunctionalInterface
public interface ResultListener {
    /**
     * @param index  the image's place in the batch, from 0; its seed is the batch's first seed + {@code index}
     * @param result the image, with the seed it used
     */
    void onResult(int index, GenerationResult result);
}
