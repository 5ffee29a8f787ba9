package dev.sdj.cli;

import dev.sdj.core.image.PngWriter;
import dev.sdj.core.image.RgbImage;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ImageFormatTest {
    @Test
    void theExtensionChoosesTheFormat() {
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("out/cat.png")));
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("cat.PNG")));
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("cat")));
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("-")));
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("/dev/null")));
        assertEquals(ImageFormat.JPEG, ImageFormat.of(Path.of("cat.jpg")));
        assertEquals(ImageFormat.JPEG, ImageFormat.of(Path.of("cat.JPEG")));
        assertEquals(ImageFormat.PNG, ImageFormat.of(Path.of("100%.png")));
    }

    @Test
    void anExtensionOfAnotherFormatIsRefusedRatherThanHoldingPngBytes() {
        UserError e = assertThrows(UserError.class, () -> ImageFormat.of(Path.of("cat.bmp")));
        assertTrue(e.getMessage().contains("'.bmp'") && e.getMessage().contains(".jpg"), e.getMessage());
    }

    @Test
    void jpegEncodingKeepsTheImage() throws Exception {
        byte[] pixels = new byte[16 * 8 * 3];
        java.util.Arrays.fill(pixels, (byte) 200);
        byte[] png = PngWriter.INSTANCE.encode(new RgbImage(16, 8, pixels), Map.of());
        byte[] jpeg = ImageFormat.JPEG.encode(png);
        assertEquals(0xFF, jpeg[0] & 0xFF);
        assertEquals(0xD8, jpeg[1] & 0xFF);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertEquals(16, back.getWidth());
        assertEquals(8, back.getHeight());
        assertEquals(200, back.getRGB(3, 3) & 0xFF, 3);
        assertSame(png, ImageFormat.PNG.encode(png));
    }
}
