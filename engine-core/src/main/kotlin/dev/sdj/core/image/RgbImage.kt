package dev.sdj.core.image

/**
 * An 8-bit RGB image, [pixels] row-major from the top-left with three bytes (R, G, B) per pixel. The array is kept,
 * not copied, because full-size images are megabytes: callers must not change it afterwards.
 */
class RgbImage(val width: Int, val height: Int, val pixels: ByteArray) {
    init {
        require(width > 0 && height > 0) { "image size must be positive, got ${width}x$height" }
        val expected = byteCount(width, height)
        require(pixels.size.toLong() == expected) { "a ${width}x$height RGB image needs $expected bytes, got ${pixels.size}" }
    }

    companion object {
        /**
         * Converts a VAE decoder output, nominally in [-1, 1], to 8-bit RGB the way diffusers does
         * (`VaeImageProcessor.denormalize`, then `numpy_to_pil`): `u = clamp(v * 0.5 + 0.5, 0, 1)` in float32, then
         * `round(u * 255)` rounding halves to even as `numpy.round` does. So -1 gives 0, 1 gives 255 and 0 gives 128
         * (127.5 rounds to the even 128). stable-diffusion.cpp and A1111 truncate instead (`(uint8_t)(u * 255)`),
         * which darkens every channel by half a step on average; their images can differ from ours by one level.
         *
         * NaN is refused rather than mapped to some colour: it means the decoder overflowed (fp16 VAEs do), and a
         * silently black patch would hide that.
         */
        @JvmStatic
        @JvmOverloads
        fun fromDecoderOutput(values: FloatArray, width: Int, height: Int, layout: ChannelLayout = ChannelLayout.PLANAR): RgbImage {
            require(width > 0 && height > 0) { "image size must be positive, got ${width}x$height" }
            val count = byteCount(width, height)
            require(values.size.toLong() == count) { "a ${width}x$height decoder output has $count values, got ${values.size}" }
            val pixels = ByteArray(count.toInt())
            var out = 0
            for (y in 0 until height) {
                for (x in 0 until width) {
                    for (c in 0 until 3) {
                        val index = layout.index(x, y, c, width, height)
                        pixels[out++] = toByte(values[index]) ?: throw nanError(values, index, x, y, c)
                    }
                }
            }
            return RgbImage(width, height, pixels)
        }

        private fun byteCount(width: Int, height: Int): Long {
            val count = width.toLong() * height * 3
            require(count <= Int.MAX_VALUE) { "a ${width}x$height RGB image is too large for one array" }
            return count
        }

        private fun toByte(v: Float): Byte? {
            if (v.isNaN()) return null
            val unit = (v * 0.5f + 0.5f).coerceIn(0f, 1f)
            return Math.rint((unit * 255f).toDouble()).toInt().toByte()
        }

        private fun nanError(values: FloatArray, index: Int, x: Int, y: Int, c: Int): IllegalArgumentException {
            val nans = values.count { it.isNaN() }
            return IllegalArgumentException("decoder output has $nans NaN values, the first in pixel order at x=$x, y=$y, channel $c (index $index)")
        }
    }
}
