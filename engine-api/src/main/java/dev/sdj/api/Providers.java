package dev.sdj.api;

import java.util.ServiceLoader;

/**
 * Finds the engine implementation (engine-core) once per class loader: every static entry point of this API
 * ({@link Engine#open}, {@link DeviceReport#current}, {@link ModelInspection#of}, {@link EngineConfig#demo},
 * {@link Tools#get}) goes through it, so an application compiles against engine-api alone.
 */
final class Providers {
    private Providers() {
    }

    /** Holder idiom: the lookup runs on first use and is safe to race. */
    private static final class Found {
        static final EngineProvider PROVIDER = ServiceLoader.load(EngineProvider.class).findFirst()
                .orElse(null);
    }

    static EngineProvider provider() {
        EngineProvider p = Found.PROVIDER;
        if (p == null) {
            throw new EngineException("no engine implementation on the class path: add dev.sdj:engine-core (a runtime dependency is enough)");
        }
        return p;
    }
}
