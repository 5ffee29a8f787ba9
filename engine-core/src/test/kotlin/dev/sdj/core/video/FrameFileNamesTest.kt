package dev.sdj.core.video

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource

class FrameFileNamesTest {
    @ParameterizedTest
    @CsvSource(
        "frame_%03d.png, 0, frame_000.png",
        "frame_%03d.png, 7, frame_007.png",
        "frame_%03d.png, 1234, frame_1234.png",
        "%d.png, 12, 12.png",
        "f%05d.png, 3, f00003.png",
        "100%%_%02d.png, 4, 100%_04.png",
    )
    fun `names are printf's, zero-padded to the width`(pattern: String, index: Int, expected: String) {
        assertEquals(expected, FrameFileNames.parse(pattern).name(index))
    }

    @Test
    fun `only a frame number makes a pattern`() {
        assertTrue(FrameFileNames.isPattern("a_%d.png"))
        assertTrue(FrameFileNames.isPattern("a_%04d.png"))
        assertFalse(FrameFileNames.isPattern("a.png"))
        assertFalse(FrameFileNames.isPattern("100%%.png"))
        assertFalse(FrameFileNames.isPattern("100%.png"))
        assertFalse(FrameFileNames.isPattern("a_%s.png"))
        assertTrue(FrameFileNames.isPattern("a_%s_%03d.png"))
    }

    @Test
    fun `two numbers, none, or another directive are refused with the name`() {
        for (bad in listOf("a_%d_%d.png", "a.png", "a_%s.png", "a_%x.png", "a_%5d.png", "a%")) {
            val e = assertThrows<IllegalArgumentException> { FrameFileNames.parse(bad) }
            assertTrue(e.message!!.contains("'$bad'"), e.message)
        }
    }
}
