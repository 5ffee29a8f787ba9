package dev.sdj.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The system's 1, 5 and 15 minute load averages, for benchmarks run on a machine others share. */
final class LoadAverage {
    private static final Path LOADAVG = Path.of("/proc/loadavg");

    private LoadAverage() {
    }

    /** "1.23 0.98 0.77", or "unknown" where the system does not publish it (not Linux). */
    static String read() {
        try {
            String[] fields = Files.readString(LOADAVG).trim().split("\\s+");
            return fields.length >= 3 ? fields[0] + " " + fields[1] + " " + fields[2] : "unknown";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
