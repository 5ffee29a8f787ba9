package dev.sdj.core.image

import dev.sdj.api.InvalidRequestException
import java.awt.RenderingHints
import java.awt.image.BufferedImage
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

/**
 * The image an image-to-image request starts from, as the VAE encoder takes it: [W, H, 3] in ggml order (planar),
 * values in [-1, 1]. A file of another size is resized to the request's with bicubic interpolation, aspect ratio not
 * kept, as stable-diffusion.cpp's command line resizes an init image to the requested size.
 */
object InitImage {
    fun read(path: Path, width: Int, height: Int): FloatArray {
        val image = decoded(path, "init image", width, height)
        val out = FloatArray(width * height * 3)
        val plane = width * height
        for (y in 0 until height) for (x in 0 until width) {
            val rgb = image.getRGB(x, y)
            for (c in 0 until 3) out[x + width * y + plane * c] = ((rgb shr (16 - 8 * c)) and 0xff) / 127.5f - 1f
        }
        return out
    }

    /**
     * The file at [path] decoded and brought to [width]×[height]; a missing or undecodable file is an
     * [InvalidRequestException] naming it as [what] ("init image", "mask").
     */
    internal fun decoded(path: Path, what: String, width: Int, height: Int): BufferedImage {
        if (!Files.isRegularFile(path)) throw InvalidRequestException("$what $path: no such file")
        val decoded = try {
            ImageIO.read(path.toFile())
        } catch (e: IOException) {
            throw InvalidRequestException("$what $path: cannot be read as an image (${e.message})")
        } catch (e: RuntimeException) {
            // Java's decoders throw unchecked exceptions on some truncated or corrupt files.
            throw InvalidRequestException("$what $path: cannot be read as an image (${e})")
        } ?: throw InvalidRequestException("$what $path: not a PNG, JPEG or other image format Java reads")
        return if (decoded.width == width && decoded.height == height) decoded else resized(decoded, width, height)
    }

    private fun resized(image: BufferedImage, width: Int, height: Int): BufferedImage {
        val out = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
        val g = out.createGraphics()
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC)
            g.drawImage(image, 0, 0, width, height, null)
        } finally {
            g.dispose()
        }
        return out
    }
}
