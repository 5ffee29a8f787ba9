package dev.sdj.core.image

/** Where a decoder put the three colour channels of pixel (x, y) in its flat output. */
enum class ChannelLayout {
    /** ggml `[W, H, 3, 1]`, dimension 0 fastest, as the VAE decoder graph produces it: `x + W * (y + H * c)`. */
    PLANAR,

    /** ggml `[3, W, H, 1]`, one RGB triple per pixel, for decoders that permute before reading back: `c + 3 * (x + W * y)`. */
    INTERLEAVED;

    internal fun index(x: Int, y: Int, c: Int, width: Int, height: Int): Int = when (this) {
        PLANAR -> x + width * (y + height * c)
        INTERLEAVED -> c + 3 * (x + width * y)
    }
}
