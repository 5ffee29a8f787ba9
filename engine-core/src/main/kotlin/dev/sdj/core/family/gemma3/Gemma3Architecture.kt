package dev.sdj.core.family.gemma3

/**
 * The constants of Gemma-3 that its weights do not carry, as Gemma-3 12B's config.json sets them and as
 * stable-diffusion.cpp's LTX-2 text encoder (llm.hpp, GEMMA3_12B) and llama.cpp's gemma3 graph hard-code them.
 */
object Gemma3Architecture {
    /** RoPE base of the sliding-window (local) layers: config rope_local_base_freq. */
    const val LOCAL_THETA = 10_000.0

    /** RoPE base of the full-attention (global) layers: config rope_theta. */
    const val GLOBAL_THETA = 1_000_000.0

    /** Linear RoPE scaling of the global layers only (config rope_scaling {linear, factor 8}): positions divided by 8. */
    const val GLOBAL_POSITION_SCALE = 8.0

    /** Keys a local layer's query sees, itself included (config sliding_window; 1024 for 12B, 512 for 1B). */
    const val SLIDING_WINDOW = 1024

    /**
     * Every sixth layer attends globally, the other five through the window (config sliding_window_pattern 6; HF's
     * `(i + 1) % 6 != 0` is sliding, llama.cpp's swa pattern 6, sd.cpp's {1024 ×5, 0} indexed by i % 6): layers 5, 11, 17, …
     */
    const val PATTERN = 6

    /** ε of every RMS norm (config rms_norm_eps). */
    const val EPS = 1e-6f

    fun isGlobal(layer: Int): Boolean = (layer + 1) % PATTERN == 0
}
