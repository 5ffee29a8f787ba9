package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

class RngPhiloxTest {
    private fun block(c0: Long, c1: Long, c2: Long, c3: Long, k0: Long, k1: Long): List<Long> {
        val ctr = intArrayOf(c0.toInt(), c1.toInt(), c2.toInt(), c3.toInt())
        philox4x32x10(ctr, k0.toInt(), k1.toInt())
        return ctr.map { it.toLong() and 0xffffffffL }
    }

    /**
     * The three philox4x32 10 lines of Random123's tests/kat_vectors (counter words, key words,
     * expected words), as quoted verbatim by several independent ports.
     */
    @Test
    fun `block function matches the Random123 known-answer vectors`() {
        assertEquals(listOf(0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L), block(0, 0, 0, 0, 0, 0))
        val ones = 0xffffffffL
        assertEquals(listOf(0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL), block(ones, ones, ones, ones, ones, ones))
        assertEquals(listOf(0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L),
            block(0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L))
    }

    /**
     * The expected output in the docstring of AUTOMATIC1111's modules/rng_philox.py:
     * `Generator(seed=0).randn(shape=(3, 4))`, which is also torch.randn(3, 4) on CUDA after manual_seed(0).
     */
    @Test
    fun `seed 0 reproduces the values documented by rng_philox`() {
        val expected = floatArrayOf(
            -0.92466259f, -0.42534415f, -2.6438457f, 0.14518388f,
            -0.12086647f, -0.57972564f, -0.62285122f, -0.32838709f,
            -1.07454231f, -0.36314407f, -1.67105067f, 2.26550497f)
        assertArrayEquals(expected, PhiloxRng(0).randn(12), 1e-6f)
    }

    @Test
    fun `element i depends only on the call number and i, so a shorter draw is a prefix`() {
        val long = PhiloxRng(1234).randn(100)
        val short = PhiloxRng(1234).randn(7)
        assertArrayEquals(long.copyOf(7), short)
    }

    @Test
    fun `each call moves to the next counter offset`() {
        val rng = PhiloxRng(7)
        rng.randn(3)
        val second = rng.randn(5)
        for (i in 0 until 5) {
            val w = block(1, 0, i.toLong(), 0, 7, 0)
            val u = (w[0] + 0.5) / 4294967296.0
            val v = (w[1] + 0.5) / 4294967296.0 * 2 * Math.PI
            val reference = Math.sqrt(-2 * Math.log(u)) * Math.sin(v)
            assertEquals(reference, second[i].toDouble(), 1e-5, "element $i")
        }
        assertFalse(second.contentEquals(PhiloxRng(7).randn(5)))
    }

    @Test
    fun `the same seed replays the same sequence of calls`() {
        val a = PhiloxRng(42)
        val b = PhiloxRng(42)
        repeat(3) { assertArrayEquals(a.randn(64), b.randn(64)) }
    }

    @Test
    fun `the seed's high word is part of the key`() {
        assertFalse(PhiloxRng(1L shl 32).randn(8).contentEquals(PhiloxRng(0).randn(8)))
    }

    @Test
    fun `a negative count is refused`() {
        assertThrows(IllegalArgumentException::class.java) { PhiloxRng(0).randn(-1) }
    }
}
