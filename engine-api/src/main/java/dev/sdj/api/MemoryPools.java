package dev.sdj.api;

/** Names of memory pools in peak-memory maps ({@link GenerationResult#peakDeviceBytes()}) that are not ggml buffer types. */
public final class MemoryPools {
    /**
     * Weights the CPU reads in place from memory-mapped model files (see {@link EngineConfig#mapWeights()}): file-backed
     * pages the system may drop and re-read, not memory the engine allocated.
     */
    public static final String MAPPED = "CPU_Mapped";

    private MemoryPools() {
    }
}
