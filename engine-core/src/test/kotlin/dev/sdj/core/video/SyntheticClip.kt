package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import kotlin.math.cos
import kotlin.math.hypot
import kotlin.math.log10
import kotlin.math.sin

/**
 * A clip that moves like footage: drifting gradients and waves, a disc sliding across, a box passing the other way,
 * and optional grain. Smooth areas and hard edges both, so that codecs are measured on what they find hard.
 */
internal object SyntheticClip {
    fun frames(width: Int, height: Int, count: Int, grain: Double = 0.0, rate: FrameRate = FrameRate(24, 1)): VideoFrames {
        val random = java.util.Random(7)
        val frames = List(count) { t ->
            val pixels = ByteArray(width * height * 3)
            for (y in 0 until height) for (x in 0 until width) {
                var r = 0.5 * x * 256 / width + 0.3 * y * 256 / height + 2 * t
                var g = 200 - 0.6 * y * 256 / height + 40 * sin(x / 20.0 + t / 5.0)
                var b = 128 + 100 * sin((x + 3 * t) / 37.0) * cos((y - t) / 53.0)
                val d = hypot(x - (width * 0.3 + 3 * t), y - (height * 0.5 + height * 0.15 * sin(t / 6.0)))
                if (d < width * 0.12) {
                    r = 230 - d; g = 60 + d; b = 40.0
                }
                if (Math.abs(x - (width * 0.8 - 2 * t)) < width * 0.06 && Math.abs(y - height * 0.25) < height * 0.1) {
                    r = 20.0; g = 20 + y / 3.0; b = 220.0
                }
                val n = if (grain > 0) grain * random.nextGaussian() else 0.0
                val i = (y * width + x) * 3
                pixels[i] = level(r + n); pixels[i + 1] = level(g + n); pixels[i + 2] = level(b + n)
            }
            RgbImage(width, height, pixels)
        }
        return VideoFrames(frames, rate)
    }

    private fun level(v: Double): Byte = Math.round(v).toInt().coerceIn(0, 255).toByte()

    /** Peak signal-to-noise ratio of 8-bit RGB [actual] against [expected], in dB over all three channels. */
    fun psnr(expected: RgbImage, actual: RgbImage): Double {
        require(expected.width == actual.width && expected.height == actual.height) {
            "sizes differ: ${expected.width}x${expected.height} and ${actual.width}x${actual.height}"
        }
        var sum = 0.0
        for (i in expected.pixels.indices) {
            val d = (expected.pixels[i].toInt() and 0xFF) - (actual.pixels[i].toInt() and 0xFF)
            sum += d * d
        }
        val mse = sum / expected.pixels.size
        return if (mse == 0.0) Double.POSITIVE_INFINITY else 10 * log10(255.0 * 255.0 / mse)
    }
}
