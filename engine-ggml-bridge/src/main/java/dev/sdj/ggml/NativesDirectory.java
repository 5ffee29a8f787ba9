package dev.sdj.ggml;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The directory ggml's shared libraries are loaded from: a user's own ggml build when
 * {@value #OVERRIDE_PROPERTY} / {@value #OVERRIDE_ENV} names one, else the natives bundled in this jar, extracted once
 * into a per-content cache directory. ggml finds its backend libraries next to {@code libggml-base.so}
 * ({@code $ORIGIN}), so every file must land in one directory.
 */
public final class NativesDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(NativesDirectory.class);
    public static final String OVERRIDE_PROPERTY = "sdj.ggml.dir";
    public static final String OVERRIDE_ENV = "SDJ_GGML_DIR";
    public static final String CACHE_ENV = "SDJ_CACHE_DIR";
    static final String RESOURCE_ROOT = "/dev/sdj/ggml/natives/linux-x64/";
    /** The kind of the temporary directories libraries are extracted into before they are renamed into place. */
    static final String STAGING = "extract";
    /** The marker written last into a verified directory: each file's size and modification time. */
    static final String COMPLETE = ".complete";

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

    /** A library the jar carries, as its manifest describes it. */
    record BundledFile(String name, String sha256, long size) {
    }

    /**
     * Extracts the bundled libraries into {@code cacheRoot/ggml/<version>-<content hash>} unless a verified copy is
     * already there: a truncated library crashes the JVM inside the dynamic loader (SIGBUS) and a flipped bit can make
     * it execute garbage (SIGILL), so a copy whose sizes or hashes differ from the manifest is extracted again.
     */
    static NativesDirectory extractBundled(Path cacheRoot) {
        Properties manifest = readManifest();
        List<BundledFile> files = bundledFiles(manifest);
        String pkg = manifest.getProperty("package", "unknown");
        String version = pkg.substring(pkg.lastIndexOf('@') + 1);
        Path target = cacheRoot.resolve("ggml").resolve(version + "-" + contentId(files));
        CacheTemps.sweep(target.getParent(), STAGING);
        LOG.debug("checking the ggml natives in {}", target);
        if (!isComplete(target, files)) {
            extractInto(target, files);
        }
        LOG.debug("ggml natives in {} checked against the jar's manifest", target);
        return new NativesDirectory(target, "bundled " + pkg);
    }

    private static List<BundledFile> bundledFiles(Properties manifest) {
        List<BundledFile> files = new ArrayList<>();
        for (String key : new TreeSet<>(manifest.stringPropertyNames())) {
            if (key.startsWith("file.")) {
                String name = key.substring("file.".length());
                String size = manifest.getProperty("size." + name);
                if (size == null) {
                    throw new GgmlException("the natives manifest in this jar gives no size for " + name + ": the jar is damaged or"
                            + " was built by an older build; rebuild it");
                }
                files.add(new BundledFile(name, manifest.getProperty(key), Long.parseLong(size)));
            }
        }
        return files;
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

    private static String contentId(List<BundledFile> files) {
        MessageDigest md = sha256();
        files.forEach(f -> md.update((f.name() + "=" + f.sha256() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    /**
     * A directory is complete once its marker exists (written last, after every file was verified) and every file
     * still has the size and hash the manifest gives: cache directories get damaged (a full disk, a bad copy). The
     * marker lists each verified file's size and modification time; a file that still has both is not read again,
     * since hashing the 60 MB of libraries took a fifth of a second of every start. A truncated file (its size) or one
     * written since (its time: a copy, an editor, a partial rewrite) is hashed again; a verified marker is rewritten
     * with the files' present stamps, where the cache is writable.
     */
    private static boolean isComplete(Path dir, List<BundledFile> files) {
        Path marker = dir.resolve(COMPLETE);
        Set<String> verified;
        try {
            verified = new HashSet<>(Files.readAllLines(marker));
        } catch (IOException e) {
            return false;
        }
        boolean restamp = false;
        for (BundledFile f : files) {
            Path p = dir.resolve(f.name());
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
                    return false;
                }
                if (verified.contains(stamp(p))) {
                    continue;
                }
                if (!sha256Of(p).equals(f.sha256())) {
                    return false;
                }
                restamp = true;
            } catch (IOException e) {
                return false;
            }
        }
        if (restamp) {
            try {
                // Beside the directory, where the next run's sweep finds it if this process dies before the rename.
                Path fresh = Files.createTempFile(dir.getParent(), CacheTemps.prefix(STAGING), ".tmp");
                Files.write(fresh, stamps(dir, files));
                Files.move(fresh, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                LOG.debug("cannot record the verified natives in {} ({}); they are hashed again next time", marker, e.toString());
            }
        }
        return true;
    }

    /** A verified file as the marker lists it: name, size and modification time. */
    private static String stamp(Path file) throws IOException {
        return file.getFileName() + "\t" + Files.size(file) + "\t" + Files.getLastModifiedTime(file);
    }

    private static List<String> stamps(Path dir, List<BundledFile> files) throws IOException {
        List<String> lines = new ArrayList<>();
        for (BundledFile f : files) {
            lines.add(stamp(dir.resolve(f.name())));
        }
        return lines;
    }

    private static void extractInto(Path target, List<BundledFile> files) {
        LOG.info("extracting the bundled ggml natives into {}", target);
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), CacheTemps.prefix(STAGING));
            for (BundledFile f : files) {
                Path out = staging.resolve(f.name());
                try (InputStream in = NativesDirectory.class.getResourceAsStream(RESOURCE_ROOT + f.name())) {
                    if (in == null) {
                        throw new GgmlException("bundled native " + f.name() + " is listed in the manifest but missing from the jar");
                    }
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                String actual = sha256Of(out);
                if (!actual.equals(f.sha256()) || Files.size(out) != f.size()) {
                    throw new GgmlException("bundled native " + f.name() + " has sha256 " + actual + " and " + Files.size(out)
                            + " bytes, expected " + f.sha256() + " and " + f.size() + ": the jar is damaged; rebuild it");
                }
            }
            // A rename keeps the files' times, so the stamps hold in the target too.
            Files.write(staging.resolve(COMPLETE), stamps(staging, files));
            if (Files.exists(target)) {
                LOG.warn("the ggml natives in {} are incomplete or damaged; replacing them", target);
                deleteTree(target); // a crash mid-extraction, files deleted or changed since
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

    private static String sha256Of(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
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
