package dev.sdj.core.family.sdxl

import dev.sdj.core.graph.Reference64
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import kotlin.math.abs

/**
 * SDXL's size vector, checked against values worked out by hand and against LDM's timestep embedding in float64
 * ([Reference64.timestepEmbedding]: cosines first, 10000 as the longest period).
 */
class SizeConditioningTest {

    /**
     * 1024 at 256 dimensions: frequencies 10000^(−i/128), so entry 0 is cos(1024), entry 128 sin(1024), and the last
     * entries of each half cos and sin of 1024 · 10000^(−127/128) = 0.1100398… (with the frequency and product in f32).
     */
    @Test
    fun `embedding of 1024 has cosines first and the LDM frequencies`() {
        val e = SizeConditioning.embed(1024f)
        assertEquals(256, e.size)
        assertEquals(0.98735361822, e[0].toDouble(), 1e-7)       // cos(1024)
        assertEquals(-0.15853338004, e[128].toDouble(), 1e-7)    // sin(1024)
        assertEquals(0.99395172304, e[127].toDouble(), 1e-7)     // cos(0.1100398451)
        assertEquals(0.10981790504, e[255].toDouble(), 1e-7)     // sin(0.1100398451)
    }

    /** f32 arguments: the frequency and t·f rounded to f32 move the argument by up to ~2⁻²³·t, 1.2e-4 for t = 1024. */
    @Test
    fun `embeddings follow the float64 reference`() {
        for (t in listOf(0, 1, 64, 512, 896, 1024, 1152)) {
            val expected = Reference64.timestepEmbedding(doubleArrayOf(t.toDouble()), 256).d
            val actual = SizeConditioning.embed(t.toFloat())
            val err = expected.indices.maxOf { abs(actual[it] - expected[it]) }
            assert(err <= 3e-4) { "embedding of $t differs from the reference by $err" }
        }
    }

    @Test
    fun `text-to-image conditions on the image size as original and target size with no crop`() {
        assertEquals(listOf(896, 1152, 0, 0, 896, 1152), SizeConditioning.of(width = 1152, height = 896).values())
    }

    /** y = pooled (1280), then original (h, w), crop (top, left), target (h, w), 256 each: 2816, SDXL's adm_in_channels. */
    @Test
    fun `vector is the pooled embedding followed by the six size embeddings`() {
        val pooled = FloatArray(1280) { it * 0.001f }
        val y = SizeConditioning(896, 1152, 16, 32, 1024, 768).vector(pooled)
        assertEquals(2816, y.size)
        assertArrayEquals(pooled, y.copyOfRange(0, 1280))
        for ((i, v) in listOf(896, 1152, 16, 32, 1024, 768).withIndex()) {
            assertArrayEquals(SizeConditioning.embed(v.toFloat()), y.copyOfRange(1280 + 256 * i, 1280 + 256 * (i + 1)), "embedding $i of $v")
        }
    }
}
