package dev.sdj.core.image

import dev.sdj.api.InvalidRequestException
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.awt.image.BufferedImage
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

class InpaintMaskTest {
    private fun png(dir: Path, name: String, w: Int, h: Int, rgb: (Int, Int) -> Int): Path = dir.resolve(name).also { path ->
        val image = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until h) for (x in 0 until w) image.setRGB(x, y, rgb(x, y))
        ImageIO.write(image, "png", path.toFile())
    }

    @Test
    fun `white repaints, black keeps, and grey levels round at stb_image's luminance 128`(@TempDir dir: Path) {
        // grey 127 and 128, pure green (luminance 150·255/256 = 149) and pure blue (29·255/256 = 28)
        val colours = intArrayOf(0xffffff, 0x000000, 0x7f7f7f, 0x808080, 0x00ff00, 0x0000ff)
        val path = png(dir, "m.png", 6, 1) { x, _ -> colours[x] }
        assertArrayEquals(floatArrayOf(1f, 0f, 0f, 1f, 1f, 0f), InpaintMask.read(path, 6, 1))
    }

    @Test
    fun `a mask of another size is resized to the request's, rows in order`(@TempDir dir: Path) {
        val path = png(dir, "half.png", 4, 2) { _, y -> if (y == 0) 0xffffff else 0 }   // top row white
        val mask = InpaintMask.read(path, 16, 8)
        assertEquals(16 * 8, mask.size)
        assertTrue((0 until 16 * 2).all { mask[it] == 1f }, "top rows repainted")
        assertTrue((16 * 6 until 16 * 8).all { mask[it] == 0f }, "bottom rows kept")
    }

    @Test
    fun `a missing or undecodable mask is a typed error naming it`(@TempDir dir: Path) {
        val missing = dir.resolve("none.png")
        assertEquals("mask $missing: no such file", assertThrows(InvalidRequestException::class.java) { InpaintMask.read(missing, 8, 8) }.message)
        val text = dir.resolve("notes.png").also { Files.writeString(it, "not an image") }
        val e = assertThrows(InvalidRequestException::class.java) { InpaintMask.read(text, 8, 8) }
        assertTrue(e.message!!.startsWith("mask $text: "), e.message)
    }
}
