package dev.sdj.ggml.testlog;

import org.slf4j.event.Level;

import java.util.ArrayList;
import java.util.List;

/**
 * Every SLF4J event of the test JVM, at every level, as {@link RecordingLogProvider} received it. The provider is
 * bound from the first logger on, so events logged before a test starts (ggml loads once per JVM) are here too.
 */
public final class RecordedLog {
    /** One event, its message formatted. */
    public record Event(String logger, Level level, String message) {
    }

    private static final List<Event> EVENTS = new ArrayList<>();

    private RecordedLog() {
    }

    static synchronized void add(Event e) {
        EVENTS.add(e);
    }

    public static synchronized List<Event> events() {
        return List.copyOf(EVENTS);
    }

    /** The events of one logger. */
    public static List<Event> of(String logger) {
        return events().stream().filter(e -> e.logger().equals(logger)).toList();
    }
}
