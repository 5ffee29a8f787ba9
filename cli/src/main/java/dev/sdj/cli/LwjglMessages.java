package dev.sdj.cli;

import org.lwjgl.system.Configuration;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * LWJGL prints "[LWJGL] Failed to load a library …" when no Vulkan loader is installed. The probe already turns that
 * into a reason that 'sdj devices' shows, so the other commands send LWJGL's messages nowhere, unless the user asked
 * for them with LWJGL's own debug switches.
 */
final class LwjglMessages {
    private LwjglMessages() {
    }

    /** Must run before any LWJGL class initialises, which reads the setting once. */
    static void silenceUnlessDebugging() {
        if (Boolean.getBoolean("org.lwjgl.util.Debug") || Boolean.getBoolean("org.lwjgl.util.DebugLoader")) {
            return;
        }
        Configuration.DEBUG_STREAM.set(new PrintStream(OutputStream.nullOutputStream()));
    }
}
