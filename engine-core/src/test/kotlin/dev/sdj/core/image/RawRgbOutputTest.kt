package dev.sdj.core.image

import dev.sdj.api.EngineException
import dev.sdj.api.GenerationResult
import dev.sdj.api.PlacementReport
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import kotlin.random.Random

/** [GenerationResult.rgb] gives back the very pixels the engine encoded into its PNG. */
class RawRgbOutputTest {
    private fun result(png: ByteArray, width: Int, height: Int) = GenerationResult(png, width, height, 1, "", emptyMap(), 0,
        PlacementReport("CPU", "resident", 0, 0, "", "", emptyMap(), emptyMap(), emptyMap(), 0, 0, 0, 0, emptyMap(), emptyList(), emptyMap(), emptyMap(), 0, emptyMap(), 0, "", ""),
        0, 0)

    @Test
    fun rgbIsTheEncodedPixelsRowByRow() {
        val (w, h) = 24 to 16
        val pixels = Random(5).nextBytes(w * h * 3)
        val png = PngWriter.encode(RgbImage(w, h, pixels), mapOf("parameters" to "a cat"))
        assertArrayEquals(pixels, result(png, w, h).rgb())
    }

    @Test
    fun aPngOfAnotherSizeIsRefused() {
        val png = PngWriter.encode(RgbImage(8, 8, ByteArray(8 * 8 * 3)))
        assertThrows<EngineException> { result(png, 16, 8).rgb() }
    }
}
