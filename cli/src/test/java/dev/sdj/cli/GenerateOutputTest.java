package dev.sdj.cli;

import dev.sdj.api.GeneratedVideo;
import dev.sdj.api.GenerationResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** generate's writing step, fed a result as a video model would give it (no video model runs in these tests). */
class GenerateOutputTest {
    private static final int W = 16;
    private static final int H = 8;
    private static final int FRAMES = 3;
    private static final String PARAMETERS = "a boat\nSteps: 20, Seed: 7";

    @TempDir
    Path dir;

    @Test
    void anMp4HoldsEveryFrameAndTheParameters() throws Exception {
        Path out = dir.resolve("clip.mp4");
        GenerateOutput.Written written = GenerateOutput.prepare(out).write(videoResult(24, 1));
        assertEquals(out + " (H.264 MP4, 3 frames of 16x8 at 24 fps, seed 7)", written.summary());
        assertEquals(Optional.empty(), written.warning());
        byte[] mp4 = Files.readAllBytes(out);
        assertEquals("ftyp", ascii(mp4, 4));
        // The sample-size box lists one sample per frame: version/flags, a common size (0: each listed), then the count.
        assertEquals(FRAMES, bigEndianInt(mp4, indexOf(mp4, "stsz") + 12));
        assertTrue(new String(mp4, StandardCharsets.UTF_8).contains(PARAMETERS));
    }

    @Test
    void anAviHoldsOneJpegPerFrame() throws Exception {
        Path out = dir.resolve("clip.avi");
        GenerateOutput.prepare(out).write(videoResult(24, 1));
        byte[] avi = Files.readAllBytes(out);
        assertEquals("AVI ", ascii(avi, 8));
        // The main header's dwTotalFrames, 16 bytes into the avih chunk's data.
        assertEquals(FRAMES, ByteBuffer.wrap(avi).order(ByteOrder.LITTLE_ENDIAN).getInt(indexOf(avi, "avih") + 8 + 16));
        assertEquals(FRAMES, count(avi, "\u00ff\u00d8\u00ff"), "JPEG start-of-image markers");
        assertTrue(new String(avi, StandardCharsets.UTF_8).contains(PARAMETERS));
    }

    @Test
    void anAnimatedWebpHoldsOneFramePerPictureAtAFractionalRate() throws Exception {
        Path out = dir.resolve("clip.webp");
        GenerateOutput.Written written = GenerateOutput.prepare(out).write(videoResult(24000, 1001));
        assertEquals(out + " (animated WebP, 3 frames of 16x8 at 23.976 fps, seed 7)", written.summary());
        byte[] webp = Files.readAllBytes(out);
        assertEquals("WEBP", ascii(webp, 8));
        assertEquals(FRAMES, count(webp, "ANMF"));
    }

    @Test
    void pngFramesAreTheExactPixelsOneFilePerFrame() throws Exception {
        GenerationResult result = videoResult(24, 1);
        GenerateOutput.Written written = GenerateOutput.prepare(dir.resolve("f_%02d.png")).write(result);
        assertEquals(dir.resolve("f_00.png") + " … f_02.png (PNG frames, 3 frames of 16x8 at 24 fps, seed 7)", written.summary());
        for (int t = 0; t < FRAMES; t++) {
            assertArrayEquals(result.video().orElseThrow().frames().get(t), rgb(ImageIO.read(dir.resolve("f_0" + t + ".png").toFile())));
        }
        assertFalse(Files.exists(dir.resolve("f_03.png")));
    }

    @Test
    void aClipForAnImageNameKeepsItsFirstFrameAndSaysHowToKeepTheClip() throws Exception {
        Path out = dir.resolve("output.png");
        GenerationResult result = videoResult(24, 1);
        GenerateOutput.Written written = GenerateOutput.prepare(out).write(result);
        assertArrayEquals(result.png(), Files.readAllBytes(out));
        assertEquals(out + " (16x8, seed 7)", written.summary());
        String warning = written.warning().orElseThrow();
        assertTrue(warning.contains("video of 3 frames") && warning.contains(out + " holds its first frame only")
                && warning.contains("-o clip.mp4"), warning);
    }

    @Test
    void anImageForAVideoNameIsRefusedAndNothingIsWritten() throws Exception {
        Path out = dir.resolve("clip.mp4");
        GenerationResult image = new GenerationResult(png(frame(0)), W, H, 7, PARAMETERS, Map.of(), 0, null, 0, 0);
        UserError e = assertThrows(UserError.class, () -> GenerateOutput.prepare(out).write(image));
        assertTrue(e.getMessage().contains("made an image, not a video") && e.getMessage().contains(out.toString()), e.getMessage());
        assertFalse(Files.exists(out));
        assertTrue(GenerateOutput.prepare(out).isVideo());
        assertFalse(GenerateOutput.prepare(dir.resolve("a.jpg")).isVideo());
        assertTrue(GenerateOutput.prepare(dir.resolve("a.jpg")).dropsParameters());
    }

    private static GenerationResult videoResult(int rateNumerator, int rateDenominator) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < FRAMES; t++) {
            frames.add(frame(t));
        }
        return new GenerationResult(png(frames.get(0)), W, H, 7, PARAMETERS, Map.of(), 0, null, 1000, 0,
                Optional.of(new GeneratedVideo(W, H, rateNumerator, rateDenominator, frames)));
    }

    private static byte[] frame(int t) {
        byte[] pixels = new byte[W * H * 3];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 5 + t * 60);
        }
        return pixels;
    }

    private static byte[] png(byte[] rgb) throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < W * H; i++) {
            image.setRGB(i % W, i / W, (rgb[3 * i] & 0xff) << 16 | (rgb[3 * i + 1] & 0xff) << 8 | rgb[3 * i + 2] & 0xff);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static byte[] rgb(BufferedImage image) {
        byte[] rgb = new byte[image.getWidth() * image.getHeight() * 3];
        for (int i = 0; i < rgb.length / 3; i++) {
            int p = image.getRGB(i % image.getWidth(), i / image.getWidth());
            rgb[3 * i] = (byte) (p >> 16);
            rgb[3 * i + 1] = (byte) (p >> 8);
            rgb[3 * i + 2] = (byte) p;
        }
        return rgb;
    }

    private static String ascii(byte[] bytes, int at) {
        return new String(bytes, at, 4, StandardCharsets.US_ASCII);
    }

    private static int bigEndianInt(byte[] bytes, int at) {
        return ByteBuffer.wrap(bytes).getInt(at);
    }

    private static int indexOf(byte[] bytes, String tag) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int i = text.indexOf(tag);
        assertTrue(i >= 0, tag + " not found");
        return i;
    }

    private static int count(byte[] bytes, String tag) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int n = 0;
        for (int i = text.indexOf(tag); i >= 0; i = text.indexOf(tag, i + 1)) {
            n++;
        }
        return n;
    }
}
