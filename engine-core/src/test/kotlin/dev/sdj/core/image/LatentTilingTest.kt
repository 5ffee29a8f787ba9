package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

class LatentTilingTest {

    /** A stand-in decoder: nearest upsampling ×scale of the first [out] channels, which tiles cannot change. */
    private fun upsample(latent: FloatArray, w: Int, h: Int, channels: Int, scale: Int, out: Int): FloatArray {
        val ow = w * scale
        val oh = h * scale
        return FloatArray(ow * oh * out) { i ->
            val c = i / (ow * oh)
            val y = (i % (ow * oh)) / ow
            val x = i % ow
            latent[(c % channels) * w * h + (y / scale) * w + x / scale]
        }
    }

    private fun latent(w: Int, h: Int, c: Int) = FloatArray(w * h * c) { i -> ((i * 7919) % 1000) / 500f - 1f }

    @Test
    fun `tile origins cover the axis, step by tile minus overlap and end flush`() {
        val t = LatentTiling(8, 2)
        assertEquals(listOf(0), t.origins(8))
        assertEquals(listOf(0), t.origins(5))
        assertEquals(listOf(0, 6, 8), t.origins(16))
        assertEquals(listOf(0, 6, 12, 18, 24, 25), t.origins(33))
        for (size in 9..40) {
            val o = t.origins(size)
            assertEquals(size - 8, o.last())
            assertTrue(o.zipWithNext().all { (a, b) -> b - a in 1..6 }, "$size: $o")
        }
    }

    @Test
    fun `one tile as large as the latent decodes it whole, exactly`() {
        val z = latent(6, 5, 4)
        val whole = upsample(z, 6, 5, 4, 8, 3)
        val tiled = LatentTiling(6, 0).decode(z, 6, 5, 4, 8, 3) { part -> upsample(part, 6, 5, 4, 8, 3) }
        assertArrayEquals(whole, tiled)
    }

    @Test
    fun `overlapping tiles of a position-independent decoder blend back to the whole decode`() {
        val w = 21
        val h = 13
        val z = latent(w, h, 4)
        val whole = upsample(z, w, h, 4, 8, 3)
        val tiling = LatentTiling(8, 3)
        var calls = 0
        val tiled = tiling.decode(z, w, h, 4, 8, 3) { part ->
            calls++
            upsample(part, tiling.extent(w), tiling.extent(h), 4, 8, 3)
        }
        assertEquals(tiling.origins(w).size * tiling.origins(h).size, calls)
        val worst = whole.indices.maxOf { abs(whole[it] - tiled[it]) }
        assertTrue(worst < 1e-6, "largest difference $worst")
    }

    @Test
    fun `tiles in pixels overlap by a quarter tile`() {
        val t = LatentTiling.ofPixels(256, 8)
        assertEquals(32, t.tile)
        assertEquals(8, t.overlap)
    }

    /** A stand-in encoder: the mean of each [scale]×[scale] patch per channel, which tiles cannot change either. */
    private fun pool(image: FloatArray, w: Int, h: Int, channels: Int, scale: Int): FloatArray {
        val iw = w * scale
        val ih = h * scale
        return FloatArray(w * h * channels) { i ->
            val c = i / (w * h)
            val y = (i % (w * h)) / w
            val x = i % w
            var sum = 0f
            for (dy in 0 until scale) for (dx in 0 until scale) sum += image[c * iw * ih + (y * scale + dy) * iw + x * scale + dx]
            sum / (scale * scale)
        }
    }

    @Test
    fun `overlapping encoder tiles of a position-independent encoder blend back to the whole encode`() {
        val w = 21
        val h = 13
        val image = latent(w * 8, h * 8, 3)
        val whole = pool(image, w, h, 3, 8)
        val tiling = LatentTiling(8, 3)
        assertArrayEquals(whole, LatentTiling(21, 0).encode(image, w, h, 3, 8, 3) { part -> pool(part, w, h, 3, 8) }, "one tile is the whole encode")
        var calls = 0
        val tiled = tiling.encode(image, w, h, 3, 8, 3) { part ->
            calls++
            pool(part, tiling.extent(w), tiling.extent(h), 3, 8)
        }
        assertEquals(tiling.origins(w).size * tiling.origins(h).size, calls)
        val worst = whole.indices.maxOf { abs(whole[it] - tiled[it]) }
        assertTrue(worst < 1e-6, "largest difference $worst")
    }

    /** stable-diffusion.cpp sizes encoder tiles at 1.30539 decoder tiles (rounded down); they overlap by a quarter, as the decoder's. */
    @Test
    fun `encoder tiles are sd_cpp's larger tiles`() {
        val t = LatentTiling.forEncoder(256, 8)
        assertEquals(41, t.tile, "⌊32 × 1.30539⌋")
        assertEquals(10, t.overlap)
        assertEquals(10, LatentTiling.forEncoder(64, 8).tile, "⌊8 × 1.30539⌋")
    }
}
