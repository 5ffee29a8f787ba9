package dev.sdj.core.image

import java.nio.file.Path

/**
 * An inpainting mask as stable-diffusion.cpp takes it: one value per pixel, x + W·y, 1 where the image is repainted
 * (white) and 0 where it is kept (black). The file's grey level (stb_image's luminance, (77·R + 150·G + 29·B) / 256,
 * which sd.cpp's single-channel load uses) is rounded to 0 or 1, as sd.cpp rounds the mask before using it; a file of
 * another size is resized to the request's first, as the init image is.
 */
object InpaintMask {
    fun read(path: Path, width: Int, height: Int): FloatArray {
        val image = InitImage.decoded(path, "mask", width, height)
        return FloatArray(width * height) { i ->
            val rgb = image.getRGB(i % width, i / width)
            val grey = (77 * ((rgb shr 16) and 0xff) + 150 * ((rgb shr 8) and 0xff) + 29 * (rgb and 0xff)) shr 8
            if (grey >= 128) 1f else 0f
        }
    }
}
