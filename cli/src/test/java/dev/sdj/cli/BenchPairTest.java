package dev.sdj.cli;

import dev.sdj.core.registry.DefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** bench generate --pair: a second configuration from the same options, run A B B A in one process. */
class BenchPairTest {
    /** Refused before any model is opened, so it need not exist. */
    private static final String MODEL = "tiny.gguf";

    @Test
    void pairingRunsBothConfigurationsAndPrintsPhaseMediansWithRatios(@TempDir Path dir) {
        Path model = DefaultModel.INSTANCE.path(dir);
        CliRun r = CliRun.of("bench", "generate", "--model", model.toString(), "--size", "64", "--steps", "1", "--device", "CPU", "-t", "1",
                "--pair", "--diffusion-fa");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("B: A with --diffusion-fa"), out);
        for (int run = 1; run <= 4; run++) {
            assertTrue(out.contains("run " + run + " of 4: " + "ABBA".charAt(run - 1)), out);
        }
        // The engine's own phases, each with both medians and a ratio, and the median step of those with several (the
        // prompt and the negative prompt are encoded one after the other).
        for (String phase : List.of("before text encoding", "text encoding", "text encoding, median step", "before denoising", "denoising",
                "before decoding", "decoding", "after decoding", "total")) {
            Matcher row = Pattern.compile("\\| " + Pattern.quote(phase) + " \\| ([0-9.]+) \\| ([0-9.]+) \\| ([0-9.]+) \\|").matcher(out);
            assertTrue(row.find(), phase + " missing from:\n" + out);
            assertEquals(Double.parseDouble(row.group(2)) / Double.parseDouble(row.group(1)), Double.parseDouble(row.group(3)), 0.006 + 0.005 / Double.parseDouble(row.group(1)),
                    phase + ": B ÷ A");
        }
        Matcher runs = Pattern.compile("\\| [1-4] \\| [AB] \\| [0-9.]+ \\| CPU [0-9.]+ [KMG]i?B.*\\| [0-9.]+ [KMG]iB \\|").matcher(out);
        assertEquals(4, runs.results().count(), out);
        assertTrue(out.contains("process peak RSS: "), out);
    }

    @Test
    void aBadPairIsAUsageErrorNamingIt() {
        CliRun unknown = CliRun.of("bench", "generate", "--model", MODEL, "--pair", "--no-such-option");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--pair '--no-such-option': Unknown option: '--no-such-option'"), unknown.err());
        CliRun badValue = CliRun.of("bench", "generate", "--model", MODEL, "--pair", "--max-vram 100d");
        assertEquals(2, badValue.code());
        assertTrue(badValue.err().contains("--pair '--max-vram 100d': "), badValue.err());
        CliRun unclosed = CliRun.of("bench", "generate", "--model", MODEL, "--pair", "--lora 'a b");
        assertEquals(2, unclosed.code());
        assertTrue(unclosed.err().contains("unclosed '"), unclosed.err());
        CliRun nested = CliRun.of("bench", "generate", "--model", MODEL, "--pair", "--pair x");
        assertEquals(2, nested.code());
        assertTrue(nested.err().contains("cannot be given inside it"), nested.err());
        CliRun otherModel = CliRun.of("bench", "generate", "--model", MODEL, "--pair", "--model other.gguf");
        assertEquals(2, otherModel.code());
        assertTrue(otherModel.err().contains("two configurations of one model"), otherModel.err());
        CliRun empty = CliRun.of("bench", "generate", "--model", MODEL, "--pair", " ");
        assertEquals(2, empty.code());
        assertTrue(empty.err().contains("--pair needs the options"), empty.err());
    }

    @Test
    void aPairOfOneOptionIsTakenAsTheValueThoughItLooksLikeAnOption() {
        for (String[] args : List.of(new String[]{"--pair", "--diffusion-fa"}, new String[]{"--pair=--diffusion-fa"})) {
            BenchCommand.Generate first = new BenchCommand.Generate();
            CommandLine line = new CommandLine(first);
            line.parseArgs(args);
            assertEquals("--diffusion-fa", first.pair);
            assertFalse(first.where.device.diffusionFlashAttention);
            assertTrue(PairedConfiguration.second(line.getCommandSpec(), first.pair).where.device.diffusionFlashAttention);
        }
    }

    @Test
    void theSecondConfigurationIsTheFirstsOptionsWithThePairsWinning() {
        BenchCommand.Generate first = new BenchCommand.Generate();
        CommandLine line = new CommandLine(first);
        line.parseArgs("--model", "m.gguf", "--size", "64", "--on-cpu", "vae,text_encoders", "--lora", "a.safetensors:0.5", "--lora", "b b.gguf",
                "--no-mmap", "--pair", "--size 96 --placement streamed");
        BenchCommand.Generate second = PairedConfiguration.second(line.getCommandSpec(), first.pair);
        assertEquals(64, first.run.size);
        assertEquals(96, second.run.size);
        assertEquals("streamed", second.where.placement);
        assertEquals("auto", first.where.placement);
        assertTrue(second.run.noMmap);
        assertEquals(first.where.device.onCpu, second.where.device.onCpu);
        assertEquals(List.of("a.safetensors:0.5", "b b.gguf"), second.loras.loras);
        assertNull(second.pair);
    }

    @Test
    void aNegatedFlagOfTheFirstStaysNegatedInTheSecond() {
        BenchCommand.Generate first = new BenchCommand.Generate();
        CommandLine line = new CommandLine(first);
        line.parseArgs("--no-vae-conv-direct", "--pair", "--cfg-batch on");
        BenchCommand.Generate second = PairedConfiguration.second(line.getCommandSpec(), first.pair);
        assertEquals(Boolean.FALSE, first.where.device.vaeConvDirect);
        assertEquals(Boolean.FALSE, second.where.device.vaeConvDirect);
        assertEquals("on", second.where.device.cfgBatch);
    }
}
