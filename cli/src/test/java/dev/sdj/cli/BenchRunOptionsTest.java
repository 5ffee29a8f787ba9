package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class BenchRunOptionsTest {
    private static BenchRunOptions parsed(String... args) {
        BenchCommand.Generate generate = new BenchCommand.Generate();
        new CommandLine(generate).parseArgs(args);
        return generate.run;
    }

    @Test
    void theDefaultFileFollowsTheArchitecture() {
        BenchRunOptions sdxl = parsed("--architecture", "sdxl");
        assertEquals("sdxl", sdxl.architecture.id());
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-sdxl-random-f16.gguf"), sdxl.file());
        assertEquals("SDXL base random f16", sdxl.modelName());
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-sd15-random-f16.gguf"), parsed().file());
        assertEquals(Path.of("x.gguf"), parsed("--architecture", "sdxl", "--file", "x.gguf").file());
        BenchRunOptions flux = parsed("--architecture", "flux-dev");
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-flux-dev-random"), flux.file());
        assertEquals("FLUX.1-dev random Q4_K DiT, Q8_0 T5, f16 CLIP-L and VAE", flux.modelName());
        BenchRunOptions ltx2 = parsed("--architecture", "ltx2-text-q4k");
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-ltx2-text-q4k-random"), ltx2.file());
        assertEquals("LTX-2.3 conditioner random Q4_K Gemma-3 12B, bf16 connectors", ltx2.modelName());
        BenchRunOptions video = parsed("--architecture", "ltx2");
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-ltx2-random"), video.file());
        assertEquals("LTX-2.3 random Q4_0 DiT and Gemma-3 12B, bf16 connectors and VAE", video.modelName());
    }

    @Test
    void typeQuantizesTheBenchmarkModelWhileLoadingAndSaysSo() {
        BenchRunOptions q4 = parsed("--model", "m.gguf", "--type", "q4_0");
        assertEquals("q4_0", q4.modelConfig().weightType().orElseThrow());
        assertEquals("m.gguf --type q4_0", q4.modelName());
        assertTrue(parsed("--model", "m.gguf").modelConfig().weightType().isEmpty());
    }

    @Test
    void videoFramesReachTheBenchmarkRequest() {
        dev.sdj.api.GenerationRequest.Builder b = dev.sdj.api.GenerationRequest.builder("x");
        parsed("--architecture", "ltx2-q4k", "--video-frames", "9", "--fps", "12").applyTo(b, new java.io.PrintWriter(java.io.Writer.nullWriter()));
        dev.sdj.api.GenerationRequest r = b.build();
        assertEquals(9, r.frames());
        assertEquals(12, r.fps());
        assertEquals(1, parsed().video.frames, "an image model's benchmark stays a still");
    }

    @Test
    void anUnknownArchitectureIsRefusedNamingTheKnownOnes() {
        CliRun r = CliRun.of("bench", "generate", "--architecture", "sd3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'sd3' is none of [sd15, sdxl, flux-dev, flux-schnell, ltx2-text, ltx2-text-q4k, ltx2, ltx2-q4k]"), r.err());
    }
}
