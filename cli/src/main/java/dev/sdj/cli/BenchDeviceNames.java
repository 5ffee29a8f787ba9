package dev.sdj.cli;

import picocli.CommandLine.Option;

import java.util.List;

/** The devices a benchmark measures one after another (bench load, bench upload): those named, else all. */
final class BenchDeviceNames {
    @Option(names = "--device", paramLabel = "NAME", description = "ggml device names (default: all).")
    List<String> names;

    boolean includes(String device) {
        return names == null || names.contains(device);
    }
}
