package dev.sdj.cli;

import dev.sdj.api.DeviceReport;
import dev.sdj.api.EngineException;
import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * {@code sdj --version}: sdj's version (written into the jar by the build), the ggml it loads (version and commit)
 * and where that ggml comes from (the npm package bundled in the jar, or the user's own build), so that a bug report
 * names all three. A ggml that does not load is reported, not thrown: the version must always print.
 */
final class VersionInfo implements IVersionProvider {
    private final Supplier<DeviceReport> devices;

    VersionInfo(Supplier<DeviceReport> devices) {
        this.devices = devices;
    }

    /** picocli makes it by reflection. */
    VersionInfo() {
        this(DeviceReport::current);
    }

    static String sdjVersion() {
        try (InputStream in = VersionInfo.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/sdj/cli/version.properties is missing from the jar: rebuild it");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        String sdj = "sdj " + sdjVersion();
        try {
            DeviceReport report = devices.get();
            return new String[] {sdj, "ggml " + report.ggmlVersion(), "natives: " + report.nativesOrigin()};
        } catch (EngineException e) {
            return new String[] {sdj, "ggml: " + e.getMessage()};
        }
    }
}
