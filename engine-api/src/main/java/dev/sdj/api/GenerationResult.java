package dev.sdj.api;

import java.util.Map;

/**
 * A generated image: PNG bytes carrying the generation parameters in a "parameters" text chunk, and what the run
 * used. {@code peakDeviceBytes} maps each memory pool (buffer type) to the most the engine held there at once,
 * parameters and compute buffers together ("CPU_Mapped": weights read in place from mapped model files, see
 * {@link EngineConfig#mapWeights()}); {@code uploadedParameterBytes} is what this generation loaded (zero when
 * everything it needed was already resident). {@code uploadWaitMillis} is how long denoising stood still waiting for
 * streamed blocks to arrive (zero unless streamed): near zero means the uploads hid behind the compute, a large share
 * of the time means the bus, not the device, sets the pace.
 */
public record GenerationResult(byte[] png, int width, int height, long seed, String parameters,
                               Map<String, Long> peakDeviceBytes, long uploadedParameterBytes, PlacementReport placement,
                               long millis, long uploadWaitMillis) {
}
