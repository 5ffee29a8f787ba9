package dev.sdj.api;

/**
 * A number of bytes and where it came from (which API reported it, or how it was derived).
 *
 * @param bytes  the figure, never negative
 * @param source where it came from, e.g. "ggml", "VK_EXT_memory_budget"
 */
public record MemoryFigure(long bytes, String source) {
    /** Refuses a negative figure. */
    public MemoryFigure {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
    }
}
