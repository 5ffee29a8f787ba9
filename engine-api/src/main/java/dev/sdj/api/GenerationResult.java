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
    /** Checks that {@code video} is given: {@link Optional#empty()} for an image. */
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

    /**
     * The image as raw 8-bit RGB, row by row from the top left ({@code width * height * 3} bytes), decoded from
     * {@link #png()} on each call (PNG is lossless: these are the engine's pixels). For an application that shows or
     * processes the pixels instead of storing a file.
     *
     * @throws EngineException when the PNG bytes cannot be decoded (only if {@code png} was replaced by something else)
     */
    public byte[] rgb() {
        java.awt.image.BufferedImage image;
        try {
            image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        } catch (java.io.IOException e) {
            throw new EngineException("the generated PNG cannot be decoded: " + e.getMessage(), e);
        }
        if (image == null || image.getWidth() != width || image.getHeight() != height) {
            throw new EngineException("the generated PNG is not a " + width + "x" + height + " image");
        }
        byte[] rgb = new byte[width * height * 3];
        int i = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int argb = image.getRGB(x, y);
                rgb[i++] = (byte) (argb >> 16);
                rgb[i++] = (byte) (argb >> 8);
                rgb[i++] = (byte) argb;
            }
        }
        return rgb;
    }
}
