package dev.sdj.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;

/**
 * Where the image goes, checked before any work so that a bad path fails at once. A regular file (new or existing,
 * also behind a symbolic link) is replaced atomically: written beside it, then renamed over it, keeping an existing
 * file's permissions. Anything else that exists (/dev/null, a FIFO, /dev/stdout) is written to directly, since a rename
 * would replace the device or pipe itself with a regular file; "-" means standard output.
 */
final class PngOutput {
    private final String shown;
    private final Path target;
    private final boolean direct;

    private PngOutput(String shown, Path target, boolean direct) {
        this.shown = shown;
        this.target = target;
        this.direct = direct;
    }

    /** Standard output, when the user gives "-". */
    static PngOutput stdout() {
        return new PngOutput("standard output", null, true);
    }

    /** Checks that {@code path} can take the image, before a generation's work; a refusal's message names the path. */
    static PngOutput prepare(Path path) {
        String given = path.toString();
        if (given.isEmpty()) {
            throw new UserError("the output path is empty: give a file name with -o, or -o - for standard output");
        }
        if (given.equals("-")) {
            return stdout();
        }
        requireDirectory(path, nearestExisting(path.toAbsolutePath().getParent()));
        BasicFileAttributes attributes = attributes(path);
        if (attributes != null && attributes.isDirectory()) {
            throw new UserError("cannot write the image to " + path + ": it is a directory; give a file name, e.g. " + path.resolve("output.png"));
        }
        if (attributes != null && !attributes.isRegularFile()) {
            if (!Files.isWritable(path)) {
                throw new UserError("cannot write the image to " + path + ": permission denied");
            }
            return new PngOutput(given, path, true);
        }
        Path file = attributes != null ? realPath(path) : path.toAbsolutePath();
        if (attributes != null && !Files.isWritable(file)) {
            throw new UserError("cannot write the image to " + path + ": the file is read-only");
        }
        Path dir = nearestExisting(file.getParent());
        requireDirectory(path, dir);
        if (!Files.isWritable(dir)) {
            throw new UserError("cannot write the image to " + path + ": the directory " + dir + " is not writable");
        }
        return new PngOutput(given, file, false);
    }

    /** What to call the output in messages: the path as given, or "standard output". */
    String shown() {
        return shown;
    }

    void write(byte[] png) throws IOException {
        if (target == null) {
            System.out.write(png);
            System.out.flush();
        } else if (direct) {
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
                out.write(png);
            }
        } else {
            writeAtomically(png);
        }
    }

    private void writeAtomically(byte[] png) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(tmp, png);
            PosixFileAttributeView existing = Files.getFileAttributeView(target, PosixFileAttributeView.class);
            if (existing != null && Files.exists(target)) {
                Files.setPosixFilePermissions(tmp, existing.readAttributes().permissions());
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The attributes of what {@code path} leads to, or null when nothing is there. */
    private static BasicFileAttributes attributes(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (java.nio.file.NoSuchFileException e) {
            if (Files.isSymbolicLink(path)) {
                throw new UserError("cannot write the image to " + path + ": it is a symbolic link to a missing file");
            }
            return null;
        } catch (IOException e) {
            throw new UserError("cannot write the image to " + path + ": " + IoErrors.describe(e));
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UserError("cannot write the image to " + path + ": " + IoErrors.describe(e));
        }
    }

    private static void requireDirectory(Path path, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserError("cannot write the image to " + path + ": " + dir + " is not a directory");
        }
    }

    private static Path nearestExisting(Path dir) {
        Path d = dir;
        while (d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            d = d.getParent();
        }
        return d == null ? dir.getRoot() : d;
    }
}
