package dev.sdj.api;

/** Implemented by engine-core and found through {@link java.util.ServiceLoader}; applications use {@link Engine#open}. */
public interface EngineProvider {
    Engine open(EngineConfig config);
}
