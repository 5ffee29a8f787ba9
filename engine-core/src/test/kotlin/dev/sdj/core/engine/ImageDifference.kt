package dev.sdj.core.engine

import java.io.ByteArrayInputStream
import javax.imageio.ImageIO

/** How far apart two PNG images are, for tests that allow rounding but not a different picture. */
object ImageDifference {
    /** Peak signal-to-noise ratio over the RGB channels in dB; infinite for identical images. */
    fun psnr(a: ByteArray, b: ByteArray): Double {
        val x = ImageIO.read(ByteArrayInputStream(a))
        val y = ImageIO.read(ByteArrayInputStream(b))
        require(x.width == y.width && x.height == y.height) { "images of different sizes" }
        var se = 0.0
        var n = 0
        for (j in 0 until x.height) for (i in 0 until x.width) for (shift in intArrayOf(0, 8, 16)) {
            val d = ((x.getRGB(i, j) shr shift) and 0xff) - ((y.getRGB(i, j) shr shift) and 0xff)
            se += d * d
            n++
        }
        return if (se == 0.0) Double.POSITIVE_INFINITY else 10 * Math.log10(255.0 * 255.0 / (se / n))
    }

    /** The same over two 8-bit RGB arrays of equal size (as [dev.sdj.api.GenerationResult.rgb] gives them). */
    fun psnrRgb(a: ByteArray, b: ByteArray): Double {
        require(a.size == b.size) { "images of different sizes" }
        var se = 0.0
        for (i in a.indices) {
            val d = (a[i].toInt() and 0xff) - (b[i].toInt() and 0xff)
            se += d * d
        }
        return if (se == 0.0) Double.POSITIVE_INFINITY else 10 * Math.log10(255.0 * 255.0 / (se / a.size))
    }
}
