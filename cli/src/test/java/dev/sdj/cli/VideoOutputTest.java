package dev.sdj.cli;

import dev.sdj.api.GeneratedVideo;
import dev.sdj.api.VideoFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VideoOutputTest {
    @TempDir
    Path dir;

    @Test
    void theNameChoosesTheFormat() {
        assertEquals(VideoFormat.MP4, VideoOutput.prepare(dir.resolve("clip.mp4")).format());
        assertEquals(VideoFormat.MP4, VideoOutput.prepare(dir.resolve("clip.MP4")).format());
        assertEquals(VideoFormat.AVI, VideoOutput.prepare(dir.resolve("clip.avi")).format());
        assertEquals(VideoFormat.WEBP, VideoOutput.prepare(dir.resolve("clip.webp")).format());
        assertEquals(VideoFormat.PNG_FRAMES, VideoOutput.prepare(dir.resolve("frame_%03d.png")).format());
        assertEquals(VideoFormat.PNG_FRAMES, VideoOutput.prepare(dir.resolve("f%d.PNG")).format());
    }

    @Test
    void anUnknownExtensionIsRefusedNamingWhatWorks() {
        UserError e = assertThrows(UserError.class, () -> VideoOutput.prepare(dir.resolve("clip.mkv")));
        assertTrue(e.getMessage().contains("'.mkv'") && e.getMessage().contains(".mp4") && e.getMessage().contains(".avi")
                && e.getMessage().contains(".webp") && e.getMessage().contains("frame_%03d.png"), e.getMessage());
        assertTrue(assertThrows(UserError.class, () -> VideoOutput.prepare(dir.resolve("clip"))).getMessage().contains("no extension"));
        assertTrue(assertThrows(UserError.class, () -> VideoOutput.prepare(Path.of("-"))).getMessage().contains("standard output"));
    }

    @Test
    void aFramePatternMustBePngAndHaveOneNumber() {
        UserError jpg = assertThrows(UserError.class, () -> VideoOutput.prepare(dir.resolve("f_%03d.jpg")));
        assertTrue(jpg.getMessage().contains("must end in .png"), jpg.getMessage());
        UserError two = assertThrows(UserError.class, () -> VideoOutput.prepare(dir.resolve("f_%d_%d.png")));
        assertTrue(two.getMessage().contains("2 frame numbers"), two.getMessage());
        UserError other = assertThrows(UserError.class, () -> VideoOutput.prepare(dir.resolve("f_%s_%d.png")));
        assertTrue(other.getMessage().contains("not %d, %0Nd or %%"), other.getMessage());
    }

    @Test
    void aMissingDirectoryIsRefusedBeforeWork() {
        Path out = dir.resolve("nope").resolve("clip.mp4");
        UserError e = assertThrows(UserError.class, () -> VideoOutput.prepare(out));
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void eachFormatWritesItsFilesWithTheParameters() throws Exception {
        GeneratedVideo video = clip(3);
        String text = "a cat\nSteps: 20, Seed: 1";

        VideoOutput.prepare(dir.resolve("c.mp4")).write(video, text);
        byte[] mp4 = Files.readAllBytes(dir.resolve("c.mp4"));
        assertEquals("ftyp", new String(mp4, 4, 4, StandardCharsets.US_ASCII));
        assertTrue(new String(mp4, StandardCharsets.UTF_8).contains(text));

        VideoOutput.prepare(dir.resolve("c.avi")).write(video, text);
        byte[] avi = Files.readAllBytes(dir.resolve("c.avi"));
        assertEquals("AVI ", new String(avi, 8, 4, StandardCharsets.US_ASCII));
        assertTrue(new String(avi, StandardCharsets.UTF_8).contains(text));

        VideoOutput.prepare(dir.resolve("c.webp")).write(video, text);
        byte[] webp = Files.readAllBytes(dir.resolve("c.webp"));
        assertEquals("WEBP", new String(webp, 8, 4, StandardCharsets.US_ASCII));
        assertTrue(new String(webp, StandardCharsets.UTF_8).contains(text));

        VideoOutput.prepare(dir.resolve("f_%02d.png")).write(video, text);
        for (int i = 0; i < 3; i++) {
            Path frame = dir.resolve(String.format("f_%02d.png", i));
            assertEquals(16, ImageIO.read(frame.toFile()).getWidth());
        }
    }

    @Test
    void framesAreShownByTheirFirstAndLastName() {
        assertEquals(dir.resolve("f_000.png") + " … f_011.png", VideoOutput.prepare(dir.resolve("f_%03d.png")).shown(12));
        assertEquals(dir.resolve("f_0.png").toString(), VideoOutput.prepare(dir.resolve("f_%d.png")).shown(1));
        assertEquals(dir.resolve("c.webp").toString(), VideoOutput.prepare(dir.resolve("c.webp")).shown(12));
    }

    private static GeneratedVideo clip(int count) {
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            byte[] pixels = new byte[16 * 8 * 3];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (byte) (i * 7 + t * 40);
            }
            frames.add(pixels);
        }
        return new GeneratedVideo(16, 8, 24, 1, frames);
    }
}
