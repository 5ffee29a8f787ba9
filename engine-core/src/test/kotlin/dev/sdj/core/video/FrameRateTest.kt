package dev.sdj.core.video

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource

class FrameRateTest {
    @ParameterizedTest
    @CsvSource("24, 24, 1", "25.0, 25, 1", "23.976, 24000, 1001", "29.97, 30000, 1001", "59.94, 60000, 1001", "12.5, 25, 2", "0.5, 1, 2", "7.123, 7123, 1000")
    fun `a decimal rate becomes the fraction containers store`(fps: Double, numerator: Int, denominator: Int) {
        assertEquals(FrameRate(numerator, denominator), FrameRate.of(fps))
    }

    @Test
    fun `microseconds per frame are rounded`() {
        assertEquals(41_667, FrameRate(24, 1).microsPerFrame)
        assertEquals(41_708, FrameRate(24000, 1001).microsPerFrame)
    }

    @Test
    fun `nonsense rates are refused`() {
        for (bad in listOf(0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, 1e6, 1e-5)) {
            assertThrows<IllegalArgumentException>("$bad") { FrameRate.of(bad) }
        }
        assertThrows<IllegalArgumentException> { FrameRate(0, 1) }
    }
}
