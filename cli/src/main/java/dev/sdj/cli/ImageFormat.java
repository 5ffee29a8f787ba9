package dev.sdj.cli;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

/**
 * The image format the output's name asks for, chosen before any work so that a file never holds bytes of another
 * format than its extension says. PNG carries the generation parameters; JPEG, written through ImageIO, does not.
 */
enum ImageFormat {
    PNG, JPEG;

    private static final float JPEG_QUALITY = 0.95f;

    /** PNG for .png, no extension or standard output; JPEG for .jpg and .jpeg; any other extension is refused. */
    static ImageFormat of(Path output) {
        String name = output.getFileName() == null ? "" : output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        switch (ext) {
            case "", "png":
                return PNG;
            case "jpg", "jpeg":
                if (!ImageIO.getImageWritersByFormatName("jpeg").hasNext()) {
                    throw new UserError("cannot write " + output + ": this Java runtime has no JPEG encoder; use a .png name");
                }
                return JPEG;
            default:
                throw new UserError("cannot tell an image format from '." + ext + "' in " + output + ": use .png or .jpg (.jpeg)");
        }
    }

    /** The image in this format, from the engine's PNG. */
    byte[] encode(byte[] png) throws IOException {
        if (this == PNG) {
            return png;
        }
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        // JPEG has no alpha; drawing onto RGB also fixes a layout the encoder might reject.
        BufferedImage rgb = new BufferedImage(decoded.getWidth(), decoded.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.createGraphics().drawImage(decoded, 0, 0, null);
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.write(null, new IIOImage(rgb, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
