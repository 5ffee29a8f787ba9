package dev.sdj.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FrameFileNamesTest {
    @Test
    void namesArePrintfsZeroPaddedToTheWidth() {
        assertEquals("frame_000.png", FrameFileNames.parse("frame_%03d.png").name(0));
        assertEquals("frame_007.png", FrameFileNames.parse("frame_%03d.png").name(7));
        assertEquals("frame_1234.png", FrameFileNames.parse("frame_%03d.png").name(1234));
        assertEquals("12.png", FrameFileNames.parse("%d.png").name(12));
        assertEquals("f00003.png", FrameFileNames.parse("f%05d.png").name(3));
        assertEquals("100%_04.png", FrameFileNames.parse("100%%_%02d.png").name(4));
        assertThrows(IllegalArgumentException.class, () -> FrameFileNames.parse("%d.png").name(-1));
    }

    @Test
    void withoutTheNumberTheRestStaysUnescaped() {
        assertEquals("frame_.png", FrameFileNames.parse("frame_%03d.png").withoutNumber());
        assertEquals("100%_.png", FrameFileNames.parse("100%%_%d.png").withoutNumber());
    }

    @Test
    void onlyAFrameNumberMakesAPattern() {
        assertTrue(FrameFileNames.isPattern("a_%d.png"));
        assertTrue(FrameFileNames.isPattern("a_%04d.png"));
        assertFalse(FrameFileNames.isPattern("a.png"));
        assertFalse(FrameFileNames.isPattern("100%%.png"));
        assertFalse(FrameFileNames.isPattern("100%.png"));
        assertFalse(FrameFileNames.isPattern("a_%s.png"));
        assertTrue(FrameFileNames.isPattern("a_%s_%03d.png"));
    }

    @Test
    void twoNumbersNoneOrAnotherDirectiveAreRefusedWithTheName() {
        for (String bad : List.of("a_%d_%d.png", "a.png", "a_%s.png", "a_%x.png", "a_%5d.png", "a%")) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> FrameFileNames.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
