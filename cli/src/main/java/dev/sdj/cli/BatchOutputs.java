package dev.sdj.cli;

import dev.sdj.api.FrameFileNames;
import dev.sdj.api.InvalidRequestException;
import dev.sdj.api.VideoFormat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Where each image (or clip) of a batch goes, all checked before any work. A batch of one goes to {@code -o} as given,
 * replacing a file there as a single image always has. A larger batch writes image {@code i} to the {@code -o} name
 * with {@code _i} before its extension ({@code output_0.png}, {@code clip_0.mp4}, {@code frame_%03d_0.png}); those
 * names are made up by sdj, not given by the user, so one that exists already is refused unless {@code --overwrite}
 * says to replace it. A device or FIFO named by {@code -o} ({@code /dev/null}) takes every image; standard output takes
 * only one.
 */
final class BatchOutputs {
    private BatchOutputs() {
    }

    /**
     * The output of each image of a batch of {@code count}, checked; {@code frames} bounds the frame files a clip of a
     * frame pattern may write.
     *
     * @throws UserError naming the path and what would work, when an output cannot take its image or would replace a
     *                   file without {@code overwrite}
     */
    static List<GenerateOutput> prepare(Path output, int count, int frames, boolean overwrite) {
        if (count == 1) {
            return List.of(GenerateOutput.prepare(output));
        }
        if (output.toString().equals("-")) {
            throw new UserError("standard output takes one image, and -b asks for " + count
                    + ": name a file instead (-o out.png writes out_0.png … out_" + (count - 1) + ".png)");
        }
        if (Files.exists(output) && !Files.isRegularFile(output) && !Files.isDirectory(output)) {
            GenerateOutput device = GenerateOutput.prepare(output);
            return IntStream.range(0, count).mapToObj(i -> device).toList();
        }
        List<GenerateOutput> outputs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Path name = name(output, i);
            if (!overwrite) {
                requireAbsent(name, frames, count);
            }
            outputs.add(GenerateOutput.prepare(name));
        }
        return outputs;
    }

    /** Image {@code index}'s name: {@code _index} before the file name's extension, or at its end when it has none. */
    static Path name(Path output, int index) {
        String file = output.getFileName() == null ? "" : output.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String named = dot <= 0 ? file + "_" + index : file.substring(0, dot) + "_" + index + file.substring(dot);
        return output.resolveSibling(named);
    }

    private static void requireAbsent(Path name, int frames, int count) {
        List<Path> files = VideoFormat.isVideoName(name) && FrameFileNames.isPattern(name.getFileName().toString())
                ? frameFiles(name, frames) : List.of(name);
        for (Path f : files) {
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new UserError(f + " exists, and a batch of " + count + " does not replace files it names itself: pass --overwrite"
                        + " to replace it, or choose another -o");
            }
        }
    }

    /** The files a clip of at most {@code frames} frames writes for the pattern {@code name}. */
    private static List<Path> frameFiles(Path name, int frames) {
        FrameFileNames names;
        try {
            names = FrameFileNames.parse(name.getFileName().toString());
        } catch (InvalidRequestException malformed) {
            return List.of();   // VideoOutput's check names what is wrong with the pattern
        }
        return IntStream.range(0, frames).mapToObj(f -> name.resolveSibling(names.name(f))).toList();
    }
}
