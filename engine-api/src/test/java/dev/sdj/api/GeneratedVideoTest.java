package dev.sdj.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class GeneratedVideoTest {
    @Test
    void framesMustAllHoldOneRgbFrameOfTheSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GeneratedVideo(4, 2, 24, 1, List.of(new byte[24], new byte[23])));
        assertTrue(e.getMessage().contains("frame 1 has 23 bytes") && e.getMessage().contains("24"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GeneratedVideo(4, 2, 24, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new GeneratedVideo(0, 2, 24, 1, List.of(new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> new GeneratedVideo(4, 2, 24, 0, List.of(new byte[24])));
    }

    @Test
    void theFrameListIsFixedButTheFramesAreShared() {
        byte[] frame = new byte[3];
        List<byte[]> frames = new ArrayList<>(List.of(frame));
        GeneratedVideo video = new GeneratedVideo(1, 1, 24000, 1001, frames);
        frames.add(new byte[3]);
        assertEquals(1, video.frameCount());
        assertSame(frame, video.frames().get(0));
        assertEquals(23.976, video.fps(), 1e-3);
    }

    @Test
    void aClipIsSilentUnlessGivenSoundAndSoundMustMakeWholeFrames() {
        assertEquals(Optional.empty(), new GeneratedVideo(1, 1, 24, 1, List.of(new byte[3])).audio());
        GeneratedAudio sound = new GeneratedAudio(16000, 2, new float[32000]);
        assertEquals(16000, sound.frameCount());
        assertEquals(1.0, sound.seconds(), 0);
        assertEquals(Optional.of(sound), new GeneratedVideo(1, 1, 24, 1, List.of(new byte[3]), Optional.of(sound)).audio());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> new GeneratedAudio(16000, 2, new float[3]));
        assertTrue(odd.getMessage().contains("3 samples") && odd.getMessage().contains("2 channels"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GeneratedAudio(0, 2, new float[2]));
        assertThrows(NullPointerException.class, () -> new GeneratedVideo(1, 1, 24, 1, List.of(new byte[3]), null));
    }

    @Test
    void anImageResultHasNoVideo() {
        GenerationResult image = new GenerationResult(new byte[0], 1, 1, 0, "", Map.of(), 0, null, 0, 0);
        assertEquals(Optional.empty(), image.video());
        assertThrows(NullPointerException.class, () -> new GenerationResult(new byte[0], 1, 1, 0, "", Map.of(), 0, null, 0, 0, null));
    }
}
