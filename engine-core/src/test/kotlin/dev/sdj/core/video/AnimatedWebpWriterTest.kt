package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO
import javax.imageio.ImageReader
import kotlin.random.Random

class AnimatedWebpWriterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `TwelveMonkeys decodes every frame exactly, at the canvas size`() {
        val video = SyntheticClip.frames(96, 64, 9, grain = 3.0)
        val out = dir.resolve("clip.webp")
        AnimatedWebpWriter.write(video, "a cat\nSteps: 20", out)
        val frames = decode(out)
        assertEquals(9, frames.size)
        for ((i, frame) in frames.withIndex()) assertArrayEquals(video.frames[i].pixels, frame.pixels, "frame $i")
    }

    @ParameterizedTest
    @CsvSource("1,1", "2,1", "1,3", "5,7", "17,9", "300,2")
    fun `any size round-trips, noise and flat colour alike`(w: Int, h: Int) {
        val random = Random(w * 100 + h)
        val noise = RgbImage(w, h, random.nextBytes(w * h * 3))
        val flat = RgbImage(w, h, ByteArray(w * h * 3) { 77 })
        val video = VideoFrames(listOf(noise, flat), FrameRate(10, 1))
        val out = dir.resolve("s.webp")
        AnimatedWebpWriter.write(video, null, out)
        val frames = decode(out)
        assertArrayEquals(noise.pixels, frames[0].pixels)
        assertArrayEquals(flat.pixels, frames[1].pixels)
    }

    @Test
    fun `frame durations add up to the clip's length in milliseconds`() {
        val webp = AnimatedWebpWriter.encode(SyntheticClip.frames(8, 8, 5, rate = FrameRate.of(23.976)), null).toByteArray()
        val durations = chunks(webp).filter { it.first == "ANMF" }.map { (_, at) -> u24(webp, at + 12) }
        // 1001/24 ms per frame: 41.7, 83.4, 125.1, 166.8, 208.5 ms rounded, less the previous end.
        assertEquals(listOf(42, 41, 42, 42, 42), durations)
    }

    @Test
    fun `the parameters are an XMP description, escaped, and flagged in the header`() {
        val webp = AnimatedWebpWriter.encode(SyntheticClip.frames(8, 8, 1), "a <cat> & a dog\nSteps: 20").toByteArray()
        val xmp = chunks(webp).single { it.first == "XMP " }.second
        val text = String(webp, xmp, MjpegAviWriterTest.le32(webp, xmp - 4), Charsets.UTF_8)
        assertTrue(text.contains("<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">a &lt;cat&gt; &amp; a dog\nSteps: 20</rdf:li>"), text)
        val vp8x = chunks(webp).single { it.first == "VP8X" }.second
        assertEquals(0x06, webp[vp8x].toInt(), "animation and XMP flags")
        val bare = AnimatedWebpWriter.encode(SyntheticClip.frames(8, 8, 1), null).toByteArray()
        assertTrue(chunks(bare).none { it.first == "XMP " })
    }

    @Test
    fun `a missing directory fails naming the file`() {
        val out = dir.resolve("missing").resolve("x.webp")
        val e = assertThrows<IOException> { AnimatedWebpWriter.write(SyntheticClip.frames(8, 8, 1), null, out) }
        assertTrue(e.message!!.contains(out.toString()), e.message)
        assertFalse(Files.exists(out.parent))
    }

    private fun decode(file: Path): List<RgbImage> {
        val reader: ImageReader = ImageIO.getImageReadersByFormatName("webp").next()
        return ImageIO.createImageInputStream(file.toFile()).use { input ->
            reader.input = input
            List(reader.getNumImages(true)) { i ->
                val image = reader.read(i)
                val pixels = ByteArray(image.width * image.height * 3)
                for (y in 0 until image.height) for (x in 0 until image.width) {
                    val rgb = image.getRGB(x, y)
                    val p = (y * image.width + x) * 3
                    pixels[p] = (rgb shr 16).toByte(); pixels[p + 1] = (rgb shr 8).toByte(); pixels[p + 2] = rgb.toByte()
                }
                RgbImage(image.width, image.height, pixels)
            }.also { reader.dispose() }
        }
    }

    /** Top-level chunk ids with where their data starts, walking the RIFF by lengths; ANMF's own data is skipped. */
    private fun chunks(webp: ByteArray): List<Pair<String, Int>> {
        assertEquals("RIFF", String(webp, 0, 4, Charsets.US_ASCII))
        assertEquals("WEBP", String(webp, 8, 4, Charsets.US_ASCII))
        assertEquals(webp.size - 8, MjpegAviWriterTest.le32(webp, 4))
        val out = ArrayList<Pair<String, Int>>()
        var at = 12
        while (at < webp.size) {
            val length = MjpegAviWriterTest.le32(webp, at + 4)
            out += String(webp, at, 4, Charsets.US_ASCII) to at + 8
            at += 8 + length + (length and 1)
        }
        assertEquals(webp.size, at)
        return out
    }

    private fun u24(bytes: ByteArray, at: Int): Int =
        (bytes[at].toInt() and 0xFF) or ((bytes[at + 1].toInt() and 0xFF) shl 8) or ((bytes[at + 2].toInt() and 0xFF) shl 16)
}
