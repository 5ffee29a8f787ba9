package dev.sdj.cli;

import dev.sdj.core.registry.DefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TuneCommandTest {

    @Test
    void tuneStoresTheFastestPlacementAndPlanThenUsesIt(@TempDir Path dir) {
        Path model = DefaultModel.INSTANCE.path(dir);
        Path cache = dir.resolve("tune.json");
        String previous = System.setProperty("sdj.tune.file", cache.toString());
        try {
            CliRun tune = CliRun.of("tune", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--steps", "1", "--threads", "2");
            assertEquals(0, tune.code(), tune.err());
            assertTrue(tune.out().contains("resident") && tune.out().contains("sequential") && tune.out().contains("streamed"), tune.out());
            assertTrue(tune.out().contains("fastest: "), tune.out());
            assertTrue(tune.out().contains("stored in the tuning cache for:\n  CPU (") && tune.out().contains("\n  64x64\n"), tune.out());
            assertTrue(Files.isRegularFile(cache));
            String fastest = tune.out().lines().filter(l -> l.startsWith("fastest: ")).findFirst().orElseThrow().split("[ ,]")[1];

            CliRun plan = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU");
            assertEquals(0, plan.code(), plan.err());
            assertTrue(plan.out().contains("placement: " + fastest) && plan.out().contains("why:       tuned on "), plan.out());
        } finally {
            if (previous == null) System.clearProperty("sdj.tune.file"); else System.setProperty("sdj.tune.file", previous);
        }
    }
}
