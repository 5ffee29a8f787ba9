package dev.sdj.ggml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * The temporary files and directories sdj writes in its cache before renaming them into place. Their names carry the
 * writing process's id, so that a later run removes what a killed process left behind: a temporary is stale once its
 * process is gone and it is older than {@link #DEAD_OWNER_AGE}, or once it is older than {@link #MAX_AGE} whatever its
 * name says (process ids are reused, and one from another PID namespace sharing the cache looks gone). Writing one
 * takes seconds, so neither age ever catches a live write.
 */
public final class CacheTemps {
    static final Duration DEAD_OWNER_AGE = Duration.ofMinutes(1);
    static final Duration MAX_AGE = Duration.ofMinutes(10);

    private CacheTemps() {
    }

    /** The name prefix for a temporary of {@code kind} made by this process: {@code .kind.<pid>.}. */
    public static String prefix(String kind) {
        return "." + kind + "." + ProcessHandle.current().pid() + ".";
    }

    /** Removes the stale temporaries of {@code kind} in {@code dir}, if it exists. */
    public static void sweep(Path dir, String kind) {
        sweep(dir, kind, Instant.now());
    }

    static void sweep(Path dir, String kind, Instant now) {
        List<Path> candidates;
        try (Stream<Path> list = Files.list(dir)) {
            candidates = list.filter(p -> p.getFileName().toString().startsWith("." + kind)).toList();
        } catch (IOException e) {
            return; // no cache directory yet, or an unreadable one: nothing this run can clean
        }
        for (Path p : candidates) {
            try {
                if (isStale(p, kind, now)) {
                    deleteTree(p);
                }
            } catch (IOException e) {
                // Another run may be removing the same leftover; whatever remains is tried again next time.
            }
        }
    }

    private static boolean isStale(Path p, String kind, Instant now) throws IOException {
        Duration age = Duration.between(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant(), now);
        if (age.compareTo(MAX_AGE) > 0) {
            return true;
        }
        OptionalLong owner = owner(p.getFileName().toString(), kind);
        return owner.isPresent() && ProcessHandle.of(owner.getAsLong()).isEmpty() && age.compareTo(DEAD_OWNER_AGE) > 0;
    }

    /** The process id in a name made with {@link #prefix}, if it has one. */
    static OptionalLong owner(String name, String kind) {
        String head = "." + kind + ".";
        if (!name.startsWith(head)) {
            return OptionalLong.empty();
        }
        int end = name.indexOf('.', head.length());
        String pid = name.substring(head.length(), end < 0 ? name.length() : end);
        if (pid.isEmpty() || pid.length() > 18 || !pid.chars().allMatch(Character::isDigit)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(pid));
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
