package dev.sdj.cli;

import dev.sdj.core.engine.DefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GenerateCommandTest {

    @Test
    void helpDocumentsEveryFlag() {
        String help = CliRun.of("generate", "--help").out();
        for (String flag : List.of("--model", "--tokenizer", "--prompt", "--negative-prompt", "--width", "--height", "--steps",
                "--cfg-scale", "--seed", "--sampler", "--schedule", "--rng", "--clip-skip", "--prediction", "--placement", "--max-vram", "--on-cpu", "--device",
                "--threads", "--output")) {
            assertTrue(help.contains(flag), flag + " missing from:\n" + help);
        }
        assertTrue(help.contains("RANDOM weights"), help);
    }

    @Test
    void writesAPngAndReportsMemory(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        Path png = dir.resolve("out/cat.png");
        CliRun r = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "-W", "64", "-H", "64", "--steps", "2",
                "--device", "CPU", "--threads", "2", "-o", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(64, ImageIO.read(png.toFile()).getWidth());
        assertTrue(r.err().contains("wrote " + png) && r.err().contains("peak process memory"), r.err());
        try (var files = Files.list(png.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left beside the PNG");
        }
    }

    @Test
    void planShowsThePlacementWithoutLoadingAndRefusesAnImpossibleCap(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        CliRun plan = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--json");
        assertEquals(0, plan.code(), plan.err());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(plan.out());
        assertEquals("resident", json.get("placement").asText());
        long sequential = json.get("peakByPlacement").get("sequential").asLong();
        CliRun capped = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU",
                "--max-vram", String.valueOf(sequential));
        assertEquals(0, capped.code(), capped.err());
        assertTrue(capped.out().contains("placement: sequential"), capped.out());
        CliRun streamed = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU",
                "--max-vram", String.valueOf(sequential - 1), "--json");
        assertEquals(0, streamed.code(), streamed.err());
        com.fasterxml.jackson.databind.JsonNode s = new com.fasterxml.jackson.databind.ObjectMapper().readTree(streamed.out());
        assertEquals("streamed", s.get("placement").asText());
        assertTrue(s.get("residentBlocks").asInt() < s.get("blocks").asInt(), streamed.out());
        assertTrue(s.get("uploadBytesPerStep").asLong() > 0, streamed.out());
        long smallest = json.get("peakByPlacement").get("streamed").asLong();
        CliRun impossible = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU",
                "--max-vram", String.valueOf(smallest - 1));
        assertEquals(1, impossible.code());
        assertTrue(impossible.err().contains("needs at least " + dev.sdj.core.scheduler.Planner.INSTANCE.mib(smallest)), impossible.err());
    }

    @Test
    void invalidRequestsFailWithOneLine(@TempDir Path dir) {
        Path png = dir.resolve("never.png");
        CliRun size = CliRun.of("generate", "-p", "x", "-W", "65", "-o", png.toString());
        assertEquals(1, size.code());
        assertTrue(size.err().startsWith("error: ") && size.err().contains("multiples of 8"), size.err());
        CliRun sampler = CliRun.of("generate", "-p", "x", "--sampler", "heun", "-o", png.toString());
        assertEquals(1, sampler.code());
        assertTrue(sampler.err().contains("euler_a"), sampler.err());
        CliRun missing = CliRun.of("generate", "-p", "x", "--model", dir.resolve("none.safetensors").toString(), "-o", png.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
        assertFalse(Files.exists(png), "no output for a failed run");
    }
}
