package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class ImageConversionTest {
    private fun single(v: Float): Int =
        RgbImage.fromDecoderOutput(floatArrayOf(v, v, v), 1, 1).pixels[0].toInt() and 0xFF

    @Test
    fun `the ends and the middle of the range`() {
        assertEquals(0, single(-1f))
        assertEquals(255, single(1f))
        // 127.5 rounds half to even, as numpy.round does: 128, where sd.cpp and A1111 truncate to 127.
        assertEquals(128, single(0f))
        assertEquals(191, single(0.5f)) // 191.25
        assertEquals(64, single(-0.5f)) // 63.75
    }

    @Test
    fun `out-of-range values clamp`() {
        assertEquals(0, single(-1.0001f))
        assertEquals(0, single(-7f))
        assertEquals(0, single(Float.NEGATIVE_INFINITY))
        assertEquals(255, single(1.0001f))
        assertEquals(255, single(3f))
        assertEquals(255, single(Float.POSITIVE_INFINITY))
    }

    @Test
    fun `every level comes back from its own value`() {
        for (k in 0..255) assertEquals(k, single(2f * k / 255f - 1f), "level $k")
    }

    @Test
    fun `planar ggml output becomes interleaved rows`() {
        val w = 3
        val h = 2
        // Value encodes (x, y, c) so each output byte says where it came from: level = 100c + 10y + x.
        val planar = FloatArray(w * h * 3)
        for (c in 0 until 3) for (y in 0 until h) for (x in 0 until w) {
            planar[x + w * (y + h * c)] = levelToValue(100 * c + 10 * y + x)
        }
        val image = RgbImage.fromDecoderOutput(planar, w, h, ChannelLayout.PLANAR)
        val expected = ArrayList<Int>()
        for (y in 0 until h) for (x in 0 until w) for (c in 0 until 3) expected += 100 * c + 10 * y + x
        assertEquals(expected, image.pixels.map { it.toInt() and 0xFF })
        assertEquals(w, image.width)
        assertEquals(h, image.height)
    }

    @Test
    fun `interleaved output keeps its order`() {
        val w = 2
        val h = 3
        val levels = IntArray(w * h * 3) { it * 11 % 256 }
        val image = RgbImage.fromDecoderOutput(FloatArray(levels.size) { levelToValue(levels[it]) }, w, h, ChannelLayout.INTERLEAVED)
        assertEquals(levels.toList(), image.pixels.map { it.toInt() and 0xFF })
    }

    @Test
    fun `NaN is refused with its position`() {
        val values = FloatArray(2 * 2 * 3) { 0f }
        values[1 + 2 * (0 + 2 * 2)] = Float.NaN // x=1, y=0, blue
        values[0] = Float.NaN // x=0, y=0, red
        val e = assertThrows<IllegalArgumentException> { RgbImage.fromDecoderOutput(values, 2, 2) }
        assertEquals("decoder output has 2 NaN values, the first in pixel order at x=0, y=0, channel 0 (index 0)", e.message)
    }

    @Test
    fun `sizes are checked`() {
        assertThrows<IllegalArgumentException> { RgbImage.fromDecoderOutput(FloatArray(11), 2, 2) }
        assertThrows<IllegalArgumentException> { RgbImage.fromDecoderOutput(FloatArray(0), 0, 1) }
        assertThrows<IllegalArgumentException> { RgbImage(2, 2, ByteArray(13)) }
        assertThrows<IllegalArgumentException> { RgbImage(-1, 2, ByteArray(0)) }
        assertThrows<IllegalArgumentException> { RgbImage(65536, 65536, ByteArray(0)) }
        assertArrayEquals(ByteArray(3), RgbImage(1, 1, ByteArray(3)).pixels)
    }

    private fun levelToValue(level: Int): Float = 2f * level / 255f - 1f
}
