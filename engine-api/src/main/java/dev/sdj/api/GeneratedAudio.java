package dev.sdj.api;

/**
 * A clip's sound: {@code samples} interleaved by sample frame (left, right, left, … for stereo), nominally in [-1, 1],
 * {@code channels} per frame, {@code sampleRate} frames a second. The array is kept, not copied, because a long clip's
 * sound is tens of megabytes: callers must not change it.
 */
public record GeneratedAudio(int sampleRate, int channels, float[] samples) {
    /**
     * Checks the sound.
     *
     * @throws IllegalArgumentException when the rate or channel count is not positive, or the samples do not make
     *                                  whole frames
     */
    public GeneratedAudio {
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("audio sample rate must be positive, got " + sampleRate);
        }
        if (channels <= 0) {
            throw new IllegalArgumentException("audio needs at least one channel, got " + channels);
        }
        if (samples.length % channels != 0) {
            throw new IllegalArgumentException(samples.length + " samples do not make whole frames of " + channels + " channels");
        }
    }

    /** Sample frames: one sample of every channel. */
    public int frameCount() {
        return samples.length / channels;
    }

    /** How long the sound lasts, in seconds. */
    public double seconds() {
        return (double) frameCount() / sampleRate;
    }
}
