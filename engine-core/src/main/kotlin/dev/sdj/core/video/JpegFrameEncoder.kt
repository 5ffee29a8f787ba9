package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import java.awt.image.BufferedImage
import java.awt.image.DataBufferByte
import java.io.ByteArrayOutputStream
import javax.imageio.IIOImage
import javax.imageio.ImageIO
import javax.imageio.ImageWriteParam
import javax.imageio.ImageWriter

/**
 * Baseline JFIF JPEGs through the JDK's ImageIO encoder (YCbCr, 4:2:0, standard Huffman tables written into every
 * frame, which MJPEG players need). One encoder is reused across frames; not thread-safe.
 */
internal class JpegFrameEncoder(private val quality: Float) : AutoCloseable {
    private val writer: ImageWriter = ImageIO.getImageWritersByFormatName("jpeg").asSequence().firstOrNull()
        ?: throw IllegalStateException("this Java runtime has no JPEG encoder (ImageIO lists none)")
    private val param: ImageWriteParam = writer.defaultWriteParam.apply {
        compressionMode = ImageWriteParam.MODE_EXPLICIT
        compressionQuality = quality
    }

    init {
        require(quality > 0f && quality <= 1f) { "JPEG quality must be in (0, 1], got $quality" }
    }

    fun encode(frame: RgbImage): ByteArray {
        val image = BufferedImage(frame.width, frame.height, BufferedImage.TYPE_3BYTE_BGR)
        val bgr = (image.raster.dataBuffer as DataBufferByte).data
        val rgb = frame.pixels
        var i = 0
        while (i < rgb.size) {
            bgr[i] = rgb[i + 2]
            bgr[i + 1] = rgb[i + 1]
            bgr[i + 2] = rgb[i]
            i += 3
        }
        val bytes = ByteArrayOutputStream(frame.pixels.size / 8 + 1024)
        ImageIO.createImageOutputStream(bytes).use { stream ->
            writer.output = stream
            writer.write(null, IIOImage(image, null, null), param)
        }
        return bytes.toByteArray()
    }

    override fun close() = writer.dispose()
}
