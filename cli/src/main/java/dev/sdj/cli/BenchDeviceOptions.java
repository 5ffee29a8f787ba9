package dev.sdj.cli;

import picocli.CommandLine.Option;

/**
 * The one device and the CPU threads of a benchmark that runs its graphs itself rather than through a generation
 * request (bench audio, bench vae-conv): the CPU with two threads unless given, so runs on a shared machine compare.
 */
final class BenchDeviceOptions {
    @Option(names = "--device", defaultValue = "CPU", paramLabel = "NAME", description = "ggml device (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = {"-t", "--threads"}, defaultValue = "2", paramLabel = "N", description = "CPU threads (default: ${DEFAULT-VALUE}).")
    int threads;
}
