package dev.sdj.api;

import java.nio.file.Path;

/**
 * Implemented by engine-core and found through {@link java.util.ServiceLoader}; applications use the static entry
 * points ({@link Engine#open}, {@link DeviceReport#current}, {@link ModelInspection#of}, {@link EngineConfig#demo},
 * {@link Tools#get}) instead. Implementations are thread-safe: every method may be called from any thread.
 */
public interface EngineProvider {
    /** Opens an engine on {@code config}'s model; see {@link Engine#open}. */
    Engine open(EngineConfig config);

    /** Every device of this process and its memory; see {@link DeviceReport#current}. */
    DeviceReport devices();

    /** Reads a model's files without loading weights; see {@link ModelInspection#of}. */
    ModelInspection inspect(EngineConfig model);

    /** The built-in demo model's file, written into the cache on first use; see {@link EngineConfig#demo}. */
    Path demoModel();

    /** Conversion and benchmarks; see {@link Tools#get}. */
    Tools tools();
}
