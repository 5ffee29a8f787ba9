package dev.sdj.ggml;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The directory ggml's shared libraries are loaded from: a user's own ggml build when
 * {@value #OVERRIDE_PROPERTY} / {@value #OVERRIDE_ENV} names one, else the natives bundled in this jar, extracted once
 * into a per-content cache directory. ggml finds its backend libraries next to {@code libggml-base.so}
 * ({@code $ORIGIN}), so every file must land in one directory.
 */
public final class NativesDirectory {
    public static final String OVERRIDE_PROPERTY = "sdj.ggml.dir";
    public static final String OVERRIDE_ENV = "SDJ_GGML_DIR";
    public static final String CACHE_ENV = "SDJ_CACHE_DIR";
    static final String RESOURCE_ROOT = "/dev/sdj/ggml/natives/linux-x64/";

    private final Path path;
    private final String origin;

    private NativesDirectory(Path path, String origin) {
        this.path = path;
        this.origin = origin;
    }

    public Path path() {
        return path;
    }

    /** Where the libraries came from, for reports: the bundled package name or the override. */
    public String origin() {
        return origin;
    }

    public static NativesDirectory resolve() {
        String override = System.getProperty(OVERRIDE_PROPERTY);
        String source = "-D" + OVERRIDE_PROPERTY;
        if (override == null || override.isBlank()) {
            override = System.getenv(OVERRIDE_ENV);
            source = OVERRIDE_ENV;
        }
        if (override != null && !override.isBlank()) {
            return fromOverride(Path.of(override), source);
        }
        return extractBundled(defaultCacheRoot());
    }

    static NativesDirectory fromOverride(Path dir, String source) {
        if (!Files.isDirectory(dir)) {
            throw new GgmlException(source + " points at " + dir + ", which is not a directory");
        }
        if (!Files.isRegularFile(dir.resolve("libggml-base.so"))) {
            throw new GgmlException(source + " points at " + dir
                    + ", which has no libggml-base.so; point it at the directory holding your ggml build's libraries"
                    + " (e.g. build/bin of a ggml or llama.cpp build with -DGGML_BACKEND_DL=ON)");
        }
        return new NativesDirectory(dir.toAbsolutePath(), "user ggml build at " + dir.toAbsolutePath() + " (" + source + ")");
    }

    /** sdj's cache directory: SDJ_CACHE_DIR, else $XDG_CACHE_HOME/sdj, else ~/.cache/sdj. */
    public static Path defaultCacheRoot() {
        String env = System.getenv(CACHE_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("sdj");
    }

    /** Extracts the bundled libraries into {@code cacheRoot/ggml/<version>-<content hash>} unless already there. */
    static NativesDirectory extractBundled(Path cacheRoot) {
        Properties manifest = readManifest();
        Map<String, String> files = new TreeMap<>();
        for (String key : manifest.stringPropertyNames()) {
            if (key.startsWith("file.")) {
                files.put(key.substring("file.".length()), manifest.getProperty(key));
            }
        }
        String pkg = manifest.getProperty("package", "unknown");
        String version = pkg.substring(pkg.lastIndexOf('@') + 1);
        Path target = cacheRoot.resolve("ggml").resolve(version + "-" + contentId(files));
        if (!isComplete(target, files)) {
            extractInto(target, files);
        }
        return new NativesDirectory(target, "bundled " + pkg);
    }

    private static Properties readManifest() {
        try (InputStream in = NativesDirectory.class.getResourceAsStream(RESOURCE_ROOT + "manifest.properties")) {
            if (in == null) {
                throw new GgmlException("this build carries no ggml natives (" + RESOURCE_ROOT
                        + "manifest.properties is missing): rebuild with npm installed, or set " + OVERRIDE_ENV
                        + " to a directory holding your own ggml libraries");
            }
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentId(Map<String, String> files) {
        MessageDigest md = sha256();
        files.forEach((name, hash) -> md.update((name + "=" + hash + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    /** A directory is complete once its marker exists; the marker is written last, after every file was verified. */
    private static boolean isComplete(Path dir, Map<String, String> files) {
        if (!Files.isRegularFile(dir.resolve(".complete"))) {
            return false;
        }
        return files.keySet().stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    private static void extractInto(Path target, Map<String, String> files) {
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), ".extract-");
            for (Map.Entry<String, String> e : files.entrySet()) {
                Path out = staging.resolve(e.getKey());
                try (InputStream in = NativesDirectory.class.getResourceAsStream(RESOURCE_ROOT + e.getKey())) {
                    if (in == null) {
                        throw new GgmlException("bundled native " + e.getKey() + " is listed in the manifest but missing from the jar");
                    }
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                String actual = HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(out)));
                if (!actual.equals(e.getValue())) {
                    throw new GgmlException("bundled native " + e.getKey() + " has sha256 " + actual + ", expected "
                            + e.getValue() + ": the jar is damaged; rebuild it");
                }
            }
            Files.writeString(staging.resolve(".complete"), "ok\n");
            if (Files.exists(target)) {
                deleteTree(target); // an incomplete copy: a crash mid-extraction, or files deleted since
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // Another process may have finished the same extraction first; its copy is as good as ours.
                deleteTree(staging);
                if (!isComplete(target, files)) {
                    throw raced;
                }
            }
        } catch (IOException e) {
            throw new GgmlException("cannot extract the ggml natives into " + target + ": " + e.getMessage()
                    + "; set " + CACHE_ENV + " to a writable directory", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
