package dev.sdj.core.video

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class PrefixCodeTest {
    /** Kraft's sum: exactly 1 for a complete prefix code, which VP8L decoders require. */
    private fun kraft(lengths: IntArray): Double = lengths.filter { it > 0 }.sumOf { Math.pow(2.0, -it.toDouble()) }

    @Test
    fun `skewed counts that want a deep tree are held to the length limit and stay complete`() {
        // Fibonacci counts make Huffman's tree a chain, 29 deep for 30 symbols.
        val counts = IntArray(30)
        counts[0] = 1; counts[1] = 1
        for (i in 2 until 30) counts[i] = counts[i - 1] + counts[i - 2]
        val code = PrefixCode.build(counts, 15)
        assertTrue(code.lengths.max() <= 15, "longest code ${code.lengths.max()}")
        assertEquals(1.0, kraft(code.lengths), 1e-12)
        assertTrue(code.lengths[29] <= code.lengths[0], "the most frequent symbol gets the shortest code")
    }

    @Test
    fun `codes are canonical and prefix-free, stored bit-reversed`() {
        val code = PrefixCode.fromLengths(intArrayOf(2, 1, 3, 3, 0))
        // Canonical (first bit leftmost): B=0, A=10, C=110, D=111; stored reversed for LSB-first writing.
        assertEquals(listOf(0b01, 0b0, 0b011, 0b111, 0), code.codes.toList())
    }

    @Test
    fun `two used symbols get one bit each, unused ones none`() {
        val code = PrefixCode.build(intArrayOf(0, 5, 0, 900, 0), 15)
        assertEquals(listOf(0, 1, 0, 1, 0), code.lengths.toList())
    }
}
