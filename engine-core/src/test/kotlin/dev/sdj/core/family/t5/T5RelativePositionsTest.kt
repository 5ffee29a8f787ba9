package dev.sdj.core.family.t5

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * T5's buckets for 32 buckets and distances up to 128, worked by hand: each side (key at or before the query: 0–15,
 * key after it: 16–31) holds distances 0–7 exactly, then bucket 8 + ⌊8·ln(n/8)/ln(16)⌋ = 8 + ⌊2·log₂(n/8)⌋, capped
 * at 15. So the log buckets start where 2·log₂(n/8) reaches an integer: n = 8, 11.3, 16, 22.6, 32, 45.3, 64, 90.5,
 * 128, giving first distances 8, 12, 16, 23, 32, 46, 64, 91 for buckets 8 to 15.
 */
class T5RelativePositionsTest {
    private fun bucket(relative: Int) = T5RelativePositions.bucket(relative, 32)

    @Test
    fun `near distances have a bucket each, keys after the query in the upper half`() {
        assertEquals((0..7).toList(), (0 downTo -7).map(::bucket))
        assertEquals((17..23).toList(), (1..7).map(::bucket))
        assertEquals(0, bucket(0), "the query itself is on the 'at or before' side")
    }

    @Test
    fun `far distances share logarithmically wider buckets`() {
        val firstOfEach = mapOf(8 to 8, 12 to 9, 16 to 10, 23 to 11, 32 to 12, 46 to 13, 64 to 14, 91 to 15)
        for ((distance, expected) in firstOfEach) {
            assertEquals(expected, bucket(-distance), "key $distance before the query")
            assertEquals(expected + 16, bucket(distance), "key $distance after the query")
            if (distance > 8) assertEquals(expected - 1, bucket(-(distance - 1)), "the distance before $distance is a bucket lower")
        }
    }

    @Test
    fun `beyond the maximum distance every key shares the last bucket`() {
        for (d in listOf(127, 128, 129, 500, 4095)) {
            assertEquals(15, bucket(-d))
            assertEquals(31, bucket(d))
        }
    }

    /** The f32 path against Hugging Face's formula in f64, for every distance a 2048-token sequence has. */
    @Test
    fun `agrees with the float64 formula`() {
        for (r in -2047..2047) assertEquals(T5Reference64.bucket(r, 32), bucket(r), "relative position $r")
    }

    /** Key fastest: element k + T·q is the bucket of key k − query q. */
    @Test
    fun `the table lists keys fastest`() {
        val table = T5RelativePositions.table(3, 32)
        assertArrayEquals(intArrayOf(0, 17, 18, 1, 0, 17, 2, 1, 0), table)
        val long = T5RelativePositions.table(100, 32)
        assertEquals(bucket(99), long[99], "query 0, key 99")
        assertEquals(bucket(-99), long[99 * 100], "query 99, key 0")
        assertEquals(bucket(-30), long[10 + 100 * 40], "query 40, key 10")
    }
}
