package dev.sdj.api;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VideoFormatTest {
    @Test
    void theNameChoosesTheFormatInAnyCase() {
        assertEquals(VideoFormat.MP4, VideoFormat.of(Path.of("out/clip.mp4")));
        assertEquals(VideoFormat.MP4, VideoFormat.of(Path.of("clip.MP4")));
        assertEquals(VideoFormat.AVI, VideoFormat.of(Path.of("clip.avi")));
        assertEquals(VideoFormat.WEBP, VideoFormat.of(Path.of("clip.webp")));
        assertEquals(VideoFormat.PNG_FRAMES, VideoFormat.of(Path.of("frame_%03d.png")));
        assertEquals(VideoFormat.PNG_FRAMES, VideoFormat.of(Path.of("f%d.PNG")));
    }

    @Test
    void videoNamesAreToldFromImageNames() {
        for (String video : List.of("a.mp4", "a.avi", "a.webp", "a_%04d.png", "a_%d.jpg")) {
            assertTrue(VideoFormat.isVideoName(Path.of(video)), video);
        }
        for (String image : List.of("a.png", "a.jpg", "a", "-", "100%%.png", "100%.png", "a_%s.png", ".mp4")) {
            assertFalse(VideoFormat.isVideoName(Path.of(image)), image);
        }
    }

    @Test
    void aNameOfNoVideoFormatIsRefusedNamingThePathAndWhatWorks() {
        InvalidRequestException mkv = assertThrows(InvalidRequestException.class, () -> VideoFormat.of(Path.of("clip.mkv")));
        assertTrue(mkv.getMessage().contains("'.mkv' in clip.mkv") && mkv.getMessage().contains(".mp4")
                && mkv.getMessage().contains(".avi") && mkv.getMessage().contains(".webp") && mkv.getMessage().contains("frame_%03d.png"),
                mkv.getMessage());
        InvalidRequestException bare = assertThrows(InvalidRequestException.class, () -> VideoFormat.of(Path.of("clip")));
        assertTrue(bare.getMessage().contains("clip, which has no extension"), bare.getMessage());
    }

    @Test
    void aFramePatternMustBePngAndHaveOneNumber() {
        InvalidRequestException jpg = assertThrows(InvalidRequestException.class, () -> VideoFormat.of(Path.of("f_%03d.jpg")));
        assertTrue(jpg.getMessage().contains("f_%03d.jpg") && jpg.getMessage().contains("must end in .png"), jpg.getMessage());
        InvalidRequestException two = assertThrows(InvalidRequestException.class, () -> VideoFormat.of(Path.of("f_%d_%d.png")));
        assertTrue(two.getMessage().contains("2 frame numbers"), two.getMessage());
        InvalidRequestException other = assertThrows(InvalidRequestException.class, () -> VideoFormat.of(Path.of("f_%s_%d.png")));
        assertTrue(other.getMessage().contains("not %d, %0Nd or %%"), other.getMessage());
    }
}
