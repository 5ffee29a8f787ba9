package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import java.io.ByteArrayInputStream
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO
import kotlin.random.Random

class PngWriterTest {
    @TempDir
    lateinit var dir: Path

    /** Noise, smooth gradients and flat areas side by side, so that rows favour different filters. */
    private fun sample(w: Int, h: Int, seed: Int = w * 31 + h): RgbImage {
        val random = Random(seed)
        val pixels = ByteArray(w * h * 3)
        for (y in 0 until h) for (x in 0 until w) for (c in 0 until 3) {
            pixels[(y * w + x) * 3 + c] = when ((y / 4 + x / 8) % 4) {
                0 -> random.nextInt(256)
                1 -> x * 3 + c * 40
                2 -> (x + y) * 2 + c
                else -> 200 - c * 50
            }.toByte()
        }
        return RgbImage(w, h, pixels)
    }

    private fun assertDecodesTo(image: RgbImage, png: ByteArray) {
        val decoded = ImageIO.read(ByteArrayInputStream(png))
        assertEquals(image.width, decoded.width)
        assertEquals(image.height, decoded.height)
        for (y in 0 until image.height) for (x in 0 until image.width) {
            val i = (y * image.width + x) * 3
            val expected = ((image.pixels[i].toInt() and 0xFF) shl 16) or ((image.pixels[i + 1].toInt() and 0xFF) shl 8) or
                (image.pixels[i + 2].toInt() and 0xFF)
            assertEquals(expected, decoded.getRGB(x, y) and 0xFFFFFF, "pixel ($x, $y) of ${image.width}x${image.height}")
        }
    }

    @ParameterizedTest
    @CsvSource("1,1", "2,1", "1,2", "3,3", "7,5", "17,9", "64,64", "255,3", "301,211")
    fun `ImageIO decodes exactly the pixels written`(w: Int, h: Int) {
        val image = sample(w, h)
        assertDecodesTo(image, PngWriter.encode(image))
    }

    @Test
    fun `each filter is chosen for the row it predicts exactly, and all decode`() {
        val w = 16
        val rowBytes = w * 3
        val random = Random(3)
        val rows = ArrayList<IntArray>()
        fun build(f: (i: Int, row: IntArray, above: IntArray) -> Int) {
            val above = rows.last()
            val row = IntArray(rowBytes)
            for (i in 0 until rowBytes) row[i] = f(i, row, above) and 0xFF
            rows += row
        }
        fun left(row: IntArray, i: Int) = if (i >= 3) row[i - 3] else 0
        rows += IntArray(rowBytes) { random.nextInt(256) }
        build { i, _, above -> above[i] } // Up
        build { i, row, above -> (left(row, i) + above[i]) / 2 } // Average
        // Paeth wins where rows have vertical structure on one side and horizontal on the other: the left half
        // repeats the noise above (Up is exact there), the right half is flat over a different flat (Sub is exact).
        val half = rowBytes / 2
        rows += IntArray(rowBytes) { if (it < half) random.nextInt(256) else 60 }
        build { i, _, above -> if (i < half) above[i] else 160 } // Paeth
        build { _, _, _ -> 0 } // None: as good as Sub, and the lower type wins a tie
        build { i, _, _ -> i * 5 } // Sub
        val pixels = ByteArray(rows.size * rowBytes)
        rows.forEachIndexed { y, row -> row.forEachIndexed { i, v -> pixels[y * rowBytes + i] = v.toByte() } }
        val image = RgbImage(w, rows.size, pixels)
        val png = PngWriter.encode(image)
        val types = PngTestReader.filterTypes(png)
        assertEquals(listOf(2, 3, 4, 0, 1), listOf(1, 2, 4, 5, 6).map { types[it] })
        assertDecodesTo(image, png)
    }

    @Test
    fun `a large image spans several IDAT chunks`() {
        val image = RgbImage(512, 512, ByteArray(512 * 512 * 3).also { Random(7).nextBytes(it) })
        val png = PngWriter.encode(image)
        val idats = PngTestReader.chunks(png).filter { it.type == "IDAT" }
        assertTrue(idats.size > 1, "${idats.size} IDAT chunks")
        assertTrue(idats.dropLast(1).all { it.data.size == 256 * 1024 })
        assertDecodesTo(image, png)
    }

    @Test
    fun `chunks are in order with valid CRCs and the header says 8-bit RGB`() {
        val png = PngWriter.encode(sample(9, 4), mapOf("b" to "2", "a" to "1"))
        val chunks = PngTestReader.chunks(png)
        assertEquals(listOf("IHDR", "tEXt", "tEXt", "IDAT", "IEND"), chunks.map { it.type })
        assertTrue(chunks.all { it.crcValid })
        val ihdr = ByteBuffer.wrap(chunks[0].data)
        assertEquals(9, ihdr.int)
        assertEquals(4, ihdr.int)
        assertEquals(listOf<Byte>(8, 2, 0, 0, 0), List(5) { ihdr.get() })
        assertEquals(0, chunks.last().data.size)
    }

    @Test
    fun `identical input gives identical bytes`() {
        val text = linkedMapOf("parameters" to "a cat\nSteps: 20", "Title" to "猫", "Author" to "x")
        val reordered = linkedMapOf("Author" to "x", "Title" to "猫", "parameters" to "a cat\nSteps: 20")
        val first = PngWriter.encode(sample(33, 17), text)
        assertArrayEquals(first, PngWriter.encode(sample(33, 17), text))
        assertArrayEquals(first, PngWriter.encode(sample(33, 17), HashMap(reordered)))
        val file = dir.resolve("same.png")
        PngWriter.write(sample(33, 17), reordered, file)
        assertArrayEquals(first, Files.readAllBytes(file))
    }

    @Test
    fun `ImageIO sees the text chunks`() {
        val png = PngWriter.encode(sample(2, 2), mapOf("parameters" to "café\nSteps: 20", "Comment" to "猫と桜"))
        val reader = ImageIO.getImageReadersByFormatName("png").next()
        reader.input = ImageIO.createImageInputStream(ByteArrayInputStream(png))
        val root = reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0") as org.w3c.dom.Element
        val texts = root.getElementsByTagName("tEXtEntry")
        assertEquals(1, texts.length)
        val tEXt = texts.item(0) as org.w3c.dom.Element
        assertEquals("parameters", tEXt.getAttribute("keyword"))
        assertEquals("café\nSteps: 20", tEXt.getAttribute("value"))
        val itxt = root.getElementsByTagName("iTXtEntry").item(0) as org.w3c.dom.Element
        assertEquals("Comment", itxt.getAttribute("keyword"))
        assertEquals("猫と桜", itxt.getAttribute("text"))
        reader.dispose()
    }

    @Test
    fun `writing into a missing directory fails naming the path and leaves nothing`() {
        val out = dir.resolve("missing").resolve("out.png")
        val e = assertThrows<IOException> { PngWriter.write(sample(2, 2), emptyMap(), out) }
        assertTrue(e.message!!.contains(out.toString()), e.message)
        assertFalse(Files.exists(out.parent))
        assertEquals(emptyList<Path>(), Files.list(dir).use { it.toList() })
    }

    @Test
    fun `a write replaces the file whole and leaves no temporary file`() {
        val out = dir.resolve("out.png")
        PngWriter.write(sample(4, 4), emptyMap(), out)
        val image = sample(5, 3)
        PngWriter.write(image, mapOf("k" to "v"), out)
        assertArrayEquals(PngWriter.encode(image, mapOf("k" to "v")), Files.readAllBytes(out))
        assertEquals(listOf(out), Files.list(dir).use { it.toList() })
    }

    @Test
    fun `invalid text fails before the file is touched`() {
        val out = dir.resolve("keep.png")
        Files.write(out, byteArrayOf(1, 2, 3))
        assertThrows<IllegalArgumentException> { PngWriter.write(sample(2, 2), mapOf("" to "v"), out) }
        assertArrayEquals(byteArrayOf(1, 2, 3), Files.readAllBytes(out))
        assertEquals(listOf(out), Files.list(dir).use { it.toList() })
    }
}
