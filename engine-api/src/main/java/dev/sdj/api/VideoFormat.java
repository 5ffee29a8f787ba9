package dev.sdj.api;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The file formats {@link Tools#writeVideo} writes, chosen by the output's name: each carries the generation parameters
 * where the format has a place for text.
 */
public enum VideoFormat {
    /** {@code .mp4}: H.264 in an MP4 file, which every player shows. */
    MP4,
    /** {@code .avi}: Motion JPEG in an AVI file, each frame a JPEG, simple to edit frame by frame. */
    AVI,
    /** {@code .webp}: an animated lossless WebP, which browsers show. */
    WEBP,
    /** A name with a frame number ({@code frame_%03d.png}, see {@link FrameFileNames}): one lossless PNG per frame. */
    PNG_FRAMES;

    private static final String WHAT_WORKS = ".mp4 (H.264), .avi (MJPEG), .webp (animated), or a PNG frame pattern such as frame_%03d.png";

    /** True when {@code output} names a video rather than an image: a video extension, or a frame-number pattern. */
    public static boolean isVideoName(Path output) {
        String name = fileName(output);
        return FrameFileNames.isPattern(name) || switch (extension(name)) {
            case "mp4", "avi", "webp" -> true;
            default -> false;
        };
    }

    /**
     * The format {@code output}'s name asks for: its extension (any case), or {@link #PNG_FRAMES} for a frame-number
     * pattern. Only the name is read; the file system is not.
     *
     * @throws InvalidRequestException naming {@code output} and the names that work, when it names no video format or
     *                                 its frame pattern is malformed or not a .png
     */
    public static VideoFormat of(Path output) {
        String name = fileName(output);
        String ext = extension(name);
        if (FrameFileNames.isPattern(name)) {
            try {
                FrameFileNames.parse(name);
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("cannot write video frames to " + output + ": " + e.getMessage());
            }
            if (!ext.equals("png")) {
                throw new InvalidRequestException("cannot write video frames to " + output
                        + ": frames are written as PNG, so the pattern must end in .png (e.g. frame_%03d.png)");
            }
            return PNG_FRAMES;
        }
        return switch (ext) {
            case "mp4" -> MP4;
            case "avi" -> AVI;
            case "webp" -> WEBP;
            case "" -> throw new InvalidRequestException("cannot tell a video format from " + output + ", which has no extension: use " + WHAT_WORKS);
            default -> throw new InvalidRequestException("cannot tell a video format from '." + ext + "' in " + output + ": use " + WHAT_WORKS);
        };
    }

    private static String fileName(Path output) {
        return output.getFileName() == null ? "" : output.getFileName().toString();
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
