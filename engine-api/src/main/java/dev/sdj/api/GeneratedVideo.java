package dev.sdj.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A generated clip: {@code frames} in display order, each {@code width} x {@code height} 8-bit RGB, row-major from the
 * top-left with three bytes (R, G, B) per pixel, shown at {@code frameRateNumerator / frameRateDenominator} frames per
 * second (24000/1001 for 23.976), with its {@code audio} when the model makes sound (empty for a silent clip). The
 * frame arrays are kept, not copied, because a clip is hundreds of megabytes: callers must not change them.
 */
public record GeneratedVideo(int width, int height, int frameRateNumerator, int frameRateDenominator, List<byte[]> frames,
                             Optional<GeneratedAudio> audio) {
    /**
     * A silent clip.
     *
     * @throws IllegalArgumentException as the canonical constructor
     */
    public GeneratedVideo(int width, int height, int frameRateNumerator, int frameRateDenominator, List<byte[]> frames) {
        this(width, height, frameRateNumerator, frameRateDenominator, frames, Optional.empty());
    }

    /**
     * Checks the clip and copies the frame list (not the frames).
     *
     * @throws IllegalArgumentException when the size or rate is not positive, there is no frame, or a frame does not
     *                                  hold {@code width * height * 3} bytes
     */
    public GeneratedVideo {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("video size must be positive, got " + width + "x" + height);
        }
        if (frameRateNumerator <= 0 || frameRateDenominator <= 0) {
            throw new IllegalArgumentException("frame rate must be positive, got " + frameRateNumerator + "/" + frameRateDenominator);
        }
        audio = Objects.requireNonNull(audio, "audio: use Optional.empty() for a silent clip");
        frames = List.copyOf(frames);
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        long expected = 3L * width * height;
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).length != expected) {
                throw new IllegalArgumentException("frame " + i + " has " + frames.get(i).length + " bytes, a " + width + "x" + height
                        + " RGB frame has " + expected);
            }
        }
    }

    /** Frames per second, for display; the numerator and denominator are exact. */
    public double fps() {
        return (double) frameRateNumerator / frameRateDenominator;
    }

    /** How many frames the clip has. */
    public int frameCount() {
        return frames.size();
    }
}
