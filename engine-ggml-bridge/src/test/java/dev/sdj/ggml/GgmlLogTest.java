package dev.sdj.ggml;

import dev.sdj.ggml.testlog.RecordedLog;
import dev.sdj.ggml.testlog.RecordedLog.Event;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgmlLogTest {
    private static final int NONE = 0;
    private static final int CONT = 5;

    @Test
    void ggmlsOwnMessagesArriveAtTheNativeLoggerAtTheirLevel() {
        Ggml.get(); // loading the backends logs each one ggml loaded at its info level
        List<Event> ggmlEvents = RecordedLog.of(GgmlLog.LOGGER_NAME);
        assertTrue(ggmlEvents.stream().anyMatch(e -> e.level() == Level.INFO && e.message().contains("loaded CPU backend from")),
                ggmlEvents.toString());
        assertTrue(ggmlEvents.stream().noneMatch(e -> e.message().contains("\n")), ggmlEvents.toString());
    }

    @Test
    void eachGgmlLevelMapsToSlf4js() {
        String name = "test.ggml.levels";
        GgmlLog log = new GgmlLog(LoggerFactory.getLogger(name));
        log.accept(1, "d\n");
        log.accept(2, "i\n");
        log.accept(3, "w\n");
        log.accept(4, "e\n");
        log.accept(NONE, "nothing to show\n");
        assertEquals(List.of(new Event(name, Level.DEBUG, "d"), new Event(name, Level.INFO, "i"),
                new Event(name, Level.WARN, "w"), new Event(name, Level.ERROR, "e")), RecordedLog.of(name));
    }

    @Test
    void piecesJoinIntoOneEventPerLineAtTheFirstPiecesLevel() {
        String name = "test.ggml.pieces";
        GgmlLog log = new GgmlLog(LoggerFactory.getLogger(name));
        log.accept(3, "split ");
        log.accept(CONT, "line\nand a second\n\n");
        log.accept(2, "no newline");
        log.accept(4, "next message");
        log.accept(CONT, " ends\n");
        assertEquals(List.of(new Event(name, Level.WARN, "split line"), new Event(name, Level.WARN, "and a second"),
                new Event(name, Level.INFO, "no newline"), new Event(name, Level.ERROR, "next message ends")),
                RecordedLog.of(name));
    }
}
