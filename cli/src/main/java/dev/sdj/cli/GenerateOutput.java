package dev.sdj.cli;

import dev.sdj.api.GeneratedVideo;
import dev.sdj.api.GenerationResult;
import dev.sdj.api.VideoFormat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Where generate's result goes, chosen from {@code -o} and checked before any work: an image (PNG, JPEG, or PNG on
 * standard output) or, for a video name, a video file. A clip meant for an image name keeps its first frame, with a
 * warning saying how to keep the whole clip; an image meant for a video name is refused rather than written as a video.
 */
final class GenerateOutput {
    private final Path output;
    private final ImageFormat imageFormat;
    private final PngOutput image;
    private final VideoOutput video;

    private GenerateOutput(Path output, ImageFormat imageFormat, PngOutput image, VideoOutput video) {
        this.output = output;
        this.imageFormat = imageFormat;
        this.image = image;
        this.video = video;
    }

    /** The output {@code output} names, checked; a refusal's message names the path and what would work. */
    static GenerateOutput prepare(Path output) {
        if (VideoFormat.isVideoName(output)) {
            return new GenerateOutput(output, null, null, VideoOutput.prepare(output));
        }
        ImageFormat format = ImageFormat.of(output);
        return new GenerateOutput(output, format, PngOutput.prepare(output), null);
    }

    /** True when the name asks for a video, so the model must make one. */
    boolean isVideo() {
        return video != null;
    }

    /** True when the file will not carry the generation parameters (JPEG). */
    boolean dropsParameters() {
        return imageFormat == ImageFormat.JPEG;
    }

    /**
     * Writes {@code result}: its video to a video name, its image (a clip's first frame) to an image name.
     *
     * @return what was written, for the "wrote …" line, and a warning when a clip was cut to its first frame
     * @throws UserError when the result holds no video for a video name; nothing is written then
     */
    Written write(GenerationResult result) throws IOException {
        Optional<GeneratedVideo> clip = result.video();
        if (video != null) {
            GeneratedVideo v = clip.orElseThrow(() -> new UserError("the model made an image, not a video, so nothing was written to "
                    + output + ": use .png or .jpg (.jpeg) for its image"));
            video.write(v, result.parameters());
            return new Written(String.format(Locale.ROOT, "%s (%s, %d frame%s of %dx%d at %s fps, seed %d)", video.shown(v.frameCount()),
                    describe(video.format()), v.frameCount(), v.frameCount() == 1 ? "" : "s", v.width(), v.height(), fps(v),
                    result.seed()), Optional.empty());
        }
        image.write(imageFormat.encode(result.png()));
        String wrote = String.format(Locale.ROOT, "%s (%dx%d, seed %d)", image.shown(), result.width(), result.height(), result.seed());
        return new Written(wrote, clip.map(v -> "the model made a video of " + v.frameCount() + " frames; " + image.shown()
                + " holds its first frame only. To keep the clip, name a video: -o clip.mp4 (or .avi, .webp, frame_%03d.png)"));
    }

    /**
     * What {@link #write} wrote.
     *
     * @param summary the files and what they hold, e.g. "clip.mp4 (MP4 video, 49 frames of 768x512 at 24 fps, seed 42)"
     * @param warning set when a clip went to an image name and only its first frame was written
     */
    record Written(String summary, Optional<String> warning) {
    }

    private static String describe(VideoFormat format) {
        return switch (format) {
            case MP4 -> "H.264 MP4";
            case AVI -> "MJPEG AVI";
            case WEBP -> "animated WebP";
            case PNG_FRAMES -> "PNG frames";
        };
    }

    /** Whole frame rates as they are, others to three decimals: 24, 23.976. */
    private static String fps(GeneratedVideo v) {
        if (v.frameRateNumerator() % v.frameRateDenominator() == 0) {
            return Integer.toString(v.frameRateNumerator() / v.frameRateDenominator());
        }
        return String.format(Locale.ROOT, "%.3f", v.fps()).replaceAll("0+$", "");
    }
}
