package dev.sdj.api;

import java.util.Map;
import java.util.Optional;

/**
 * A generated image: PNG bytes carrying the generation parameters in a "parameters" text chunk, and what the run
 * used. {@code peakDeviceBytes} maps each memory pool (buffer type) to the most the engine held there at once,
 * parameters and compute buffers together ("CPU_Mapped": weights read in place from mapped model files, see
 * {@link EngineConfig#mapWeights()}); {@code uploadedParameterBytes} is what this generation loaded (zero when
 * everything it needed was already resident). {@code uploadWaitMillis} is how long denoising stood still waiting for
 * streamed blocks to arrive (zero unless streamed): near zero means the uploads hid behind the compute, a large share
 * of the time means the bus, not the device, sets the pace.
 *
 * <p>A video model also gives the clip in {@code video}; {@code png} is then its first frame (with the parameters), so
 * code that only shows an image keeps working. An image model's result has no video.
 */
public record GenerationResult(byte[] png, int width, int height, long seed, String parameters,
                               Map<String, Long> peakDeviceBytes, long uploadedParameterBytes, PlacementReport placement,
                               long millis, long uploadWaitMillis, Optional<GeneratedVideo> video) {
    public GenerationResult {
        java.util.Objects.requireNonNull(video, "video: use Optional.empty() for an image");
    }

    /** An image's result, without a video. */
    public GenerationResult(byte[] png, int width, int height, long seed, String parameters,
                            Map<String, Long> peakDeviceBytes, long uploadedParameterBytes, PlacementReport placement,
                            long millis, long uploadWaitMillis) {
        this(png, width, height, seed, parameters, peakDeviceBytes, uploadedParameterBytes, placement, millis, uploadWaitMillis,
                Optional.empty());
    }
}
