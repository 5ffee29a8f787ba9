package dev.sdj.cli;

import dev.sdj.api.FrameFileNames;
import dev.sdj.api.GeneratedVideo;
import dev.sdj.api.InvalidRequestException;
import dev.sdj.api.Tools;
import dev.sdj.api.VideoFormat;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The video file the output's name asks for (see {@link VideoFormat}), chosen and checked before any work: .mp4
 * (H.264), .avi (MJPEG), .webp (animated, lossless), or a name with a frame number ({@code frame_%03d.png}) for one PNG
 * per frame. Each carries the generation parameters.
 */
final class VideoOutput {
    private final Path path;
    private final VideoFormat format;

    private VideoOutput(Path path, VideoFormat format) {
        this.path = path;
        this.format = format;
    }

    /**
     * The format {@code output} asks for, after checking that its directory exists and takes files; a refusal's
     * message names the path and what would work.
     */
    static VideoOutput prepare(Path output) {
        String name = output.getFileName() == null ? "" : output.getFileName().toString();
        if (name.isEmpty() || output.toString().equals("-")) {
            throw new UserError("cannot write a video to " + (name.isEmpty() ? "''" : "standard output")
                    + ": give a file name ending in .mp4, .avi or .webp, or a PNG frame pattern such as frame_%03d.png");
        }
        VideoFormat format;
        try {
            format = VideoFormat.of(output);
        } catch (InvalidRequestException e) {
            throw new UserError(e.getMessage());
        }
        Path dir = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new UserError("cannot write the video to " + output + ": the directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError("cannot write the video to " + output + ": the directory " + dir + " is not writable");
        }
        if (format != VideoFormat.PNG_FRAMES && Files.isDirectory(output)) {
            throw new UserError("cannot write the video to " + output + ": it is a directory; give a file name, e.g. " + output.resolve("video.mp4"));
        }
        return new VideoOutput(output, format);
    }

    VideoFormat format() {
        return format;
    }

    /** What to call the files of a clip of {@code frameCount} frames in messages: the path, or the first and last frame's. */
    String shown(int frameCount) {
        if (format != VideoFormat.PNG_FRAMES) {
            return path.toString();
        }
        FrameFileNames names = FrameFileNames.parse(path.getFileName().toString());
        Path first = path.resolveSibling(names.name(0));
        return frameCount == 1 ? first.toString() : first + " … " + path.resolveSibling(names.name(frameCount - 1)).getFileName();
    }

    /** Writes {@code video}, each file replaced atomically; the parameters go in the file's metadata. */
    void write(GeneratedVideo video, String parameters) {
        Tools.get().writeVideo(video, parameters, path);
    }
}
