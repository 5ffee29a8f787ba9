package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import org.jcodec.common.model.ColorSpace
import org.jcodec.common.model.Picture

/**
 * RGB to limited-range ("TV", Y 16-235, Cb/Cr 16-240) BT.709 Y'CbCr 4:2:0, the signal H.264 players expect by
 * default and what [Mp4Writer] declares in the stream. BT.709 because sRGB shares its primaries. Chroma is the mean of
 * each 2x2 block. The picture is padded to whole 16x16 macroblocks by repeating the last row and column, so the
 * encoder predicts no false edge there; the stream's cropping hides the padding.
 */
internal object Bt709Yuv420 {
    private const val KR = 0.2126
    private const val KB = 0.0722
    private const val KG = 1 - KR - KB

    fun toPicture(frame: RgbImage, paddedWidth: Int, paddedHeight: Int): Picture {
        require(paddedWidth >= frame.width && paddedHeight >= frame.height && paddedWidth % 2 == 0 && paddedHeight % 2 == 0) {
            "padded size ${paddedWidth}x$paddedHeight must be even and hold ${frame.width}x${frame.height}"
        }
        val picture = Picture.create(paddedWidth, paddedHeight, ColorSpace.YUV420J)
        val luma = picture.getPlaneData(0)
        val cb = picture.getPlaneData(1)
        val cr = picture.getPlaneData(2)
        // Chroma sums per 2x2 block, before scaling.
        val chromaWidth = paddedWidth / 2
        val sumCb = DoubleArray(chromaWidth * (paddedHeight / 2))
        val sumCr = DoubleArray(sumCb.size)
        val pixels = frame.pixels
        for (y in 0 until paddedHeight) {
            val sy = minOf(y, frame.height - 1)
            for (x in 0 until paddedWidth) {
                val sx = minOf(x, frame.width - 1)
                val i = (sy * frame.width + sx) * 3
                val r = (pixels[i].toInt() and 0xFF) / 255.0
                val g = (pixels[i + 1].toInt() and 0xFF) / 255.0
                val b = (pixels[i + 2].toInt() and 0xFF) / 255.0
                val yLinear = KR * r + KG * g + KB * b
                // jcodec keeps 8-bit samples as signed bytes offset by -128.
                luma[y * paddedWidth + x] = (level(16 + 219 * yLinear) - 128).toByte()
                val c = (y / 2) * chromaWidth + x / 2
                sumCb[c] += (b - yLinear) / (2 * (1 - KB))
                sumCr[c] += (r - yLinear) / (2 * (1 - KR))
            }
        }
        for (c in sumCb.indices) {
            cb[c] = (level(128 + 224 * sumCb[c] / 4) - 128).toByte()
            cr[c] = (level(128 + 224 * sumCr[c] / 4) - 128).toByte()
        }
        return picture
    }

    private fun level(v: Double): Int = Math.round(v).toInt().coerceIn(0, 255)
}
