package dev.sdj.cli;

import dev.sdj.api.GeneratedVideo;
import dev.sdj.core.video.AnimatedWebpWriter;
import dev.sdj.core.video.FrameFileNames;
import dev.sdj.core.video.MjpegAviWriter;
import dev.sdj.core.video.Mp4Writer;
import dev.sdj.core.video.PngFramesWriter;
import dev.sdj.core.video.VideoFrames;
import dev.sdj.core.video.VideoWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The video file the output's name asks for, chosen and checked before any work: .mp4 (H.264), .avi (MJPEG), .webp
 * (animated, lossless), or a name with a frame number ({@code frame_%03d.png}) for one PNG per frame. Each carries the
 * generation parameters.
 */
final class VideoOutput {
    enum Format { MP4, AVI, WEBP, PNG_FRAMES }

    private final Path path;
    private final Format format;

    private VideoOutput(Path path, Format format) {
        this.path = path;
        this.format = format;
    }

    /** True when {@code output} names a video rather than an image: a video extension, or a frame-number pattern. */
    static boolean isVideoName(Path output) {
        String name = fileName(output);
        return FrameFileNames.isPattern(name) || switch (extension(name)) {
            case "mp4", "avi", "webp" -> true;
            default -> false;
        };
    }

    /**
     * The format {@code output} asks for, after checking that its directory exists and takes files; a refusal's
     * message names the path and what would work.
     */
    static VideoOutput prepare(Path output) {
        String name = fileName(output);
        if (name.isEmpty() || output.toString().equals("-")) {
            throw new UserError("cannot write a video to " + (name.isEmpty() ? "''" : "standard output")
                    + ": give a file name ending in .mp4, .avi or .webp, or a PNG frame pattern such as frame_%03d.png");
        }
        Format format = format(output, name);
        Path dir = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new UserError("cannot write the video to " + output + ": the directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError("cannot write the video to " + output + ": the directory " + dir + " is not writable");
        }
        if (format != Format.PNG_FRAMES && Files.isDirectory(output)) {
            throw new UserError("cannot write the video to " + output + ": it is a directory; give a file name, e.g. " + output.resolve("video.mp4"));
        }
        return new VideoOutput(output, format);
    }

    Format format() {
        return format;
    }

    /** Writes {@code video}, each file replaced atomically; the parameters go in the file's metadata. */
    void write(GeneratedVideo video, String parameters) throws IOException {
        writer().write(VideoFrames.of(video), parameters, path);
    }

    private VideoWriter writer() {
        return switch (format) {
            case MP4 -> new Mp4Writer();
            case AVI -> new MjpegAviWriter();
            case WEBP -> AnimatedWebpWriter.INSTANCE;
            case PNG_FRAMES -> PngFramesWriter.INSTANCE;
        };
    }

    private static Format format(Path output, String name) {
        String ext = extension(name);
        if (FrameFileNames.isPattern(name)) {
            try {
                FrameFileNames.parse(name);
            } catch (IllegalArgumentException e) {
                throw new UserError("cannot write video frames to " + output + ": " + e.getMessage());
            }
            if (!ext.equals("png")) {
                throw new UserError("cannot write video frames to " + output + ": frames are written as PNG, so the pattern must end in .png (e.g. frame_%03d.png)");
            }
            return Format.PNG_FRAMES;
        }
        return switch (ext) {
            case "mp4" -> Format.MP4;
            case "avi" -> Format.AVI;
            case "webp" -> Format.WEBP;
            case "" -> throw new UserError("cannot tell a video format from " + output + ", which has no extension: use .mp4, .avi, .webp, or a PNG frame pattern such as frame_%03d.png");
            default -> throw new UserError("cannot tell a video format from '." + ext + "' in " + output
                    + ": use .mp4 (H.264), .avi (MJPEG), .webp (animated), or a PNG frame pattern such as frame_%03d.png");
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
