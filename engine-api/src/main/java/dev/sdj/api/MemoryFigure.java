package dev.sdj.api;

/** A number of bytes and where it came from (which API reported it, or how it was derived). */
public record MemoryFigure(long bytes, String source) {
    public MemoryFigure {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
    }
}
