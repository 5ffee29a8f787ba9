package dev.sdj.core.video

import dev.sdj.core.image.PngTestReader
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

class PngFramesWriterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `one PNG per frame, numbered from the pattern, each exact and carrying the parameters`() {
        val video = SyntheticClip.frames(24, 16, 12)
        val text = "a cat\nSteps: 20, Seed: 3"
        PngFramesWriter.write(video, text, dir.resolve("frame_%03d.png"))

        val names = Files.list(dir).use { s -> s.map { it.fileName.toString() }.sorted().toList() }
        assertEquals((0 until 12).map { "frame_%03d.png".format(it) }, names)
        for (i in 0 until 12) {
            val file = dir.resolve("frame_%03d.png".format(i))
            val decoded = ImageIO.read(file.toFile())
            val frame = video.frames[i]
            for (y in 0 until frame.height) for (x in 0 until frame.width) {
                val p = (y * frame.width + x) * 3
                val expected = ((frame.pixels[p].toInt() and 0xFF) shl 16) or ((frame.pixels[p + 1].toInt() and 0xFF) shl 8) or
                    (frame.pixels[p + 2].toInt() and 0xFF)
                assertEquals(expected, decoded.getRGB(x, y) and 0xFFFFFF, "frame $i pixel ($x, $y)")
            }
            assertEquals(listOf("parameters" to text), PngTestReader.texts(Files.readAllBytes(file)).map { it.keyword to it.value })
        }
    }

    @Test
    fun `a name without a frame number fails naming it, before writing anything`() {
        val out = dir.resolve("clip.png")
        val e = assertThrows<IOException> { PngFramesWriter.write(SyntheticClip.frames(8, 8, 2), null, out) }
        assertTrue(e.message!!.contains(out.toString()) && e.message!!.contains("%03d"), e.message)
        assertEquals(0L, Files.list(dir).use { it.count() })
    }
}
