package dev.sdj.cli;

import dev.sdj.core.registry.DefaultModel;
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
        for (String flag : List.of("--model", "--tokenizer", "--t5-tokenizer", "--prompt", "--negative-prompt", "--width", "--height", "--steps",
                "--cfg-scale", "--seed", "--sampler", "--schedule", "--rng", "--clip-skip", "--prediction", "--placement", "--max-vram", "--on-cpu", "--device",
                "--threads", "--output", "--sampling-method", "--scheduler", "--vae-tiling", "--clip-on-cpu", "--vae-on-cpu",
                "--diffusion-model", "--vae", "--clip_l", "--clip_g", "--verbose", "--quiet", "--diffusion-fa", "--[no-]vae-conv-direct", "--cfg-batch", "--original-size",
                "--crop-top-left", "--target-size", "--video-frames", "--fps", "--lora", "--lora-model-dir", "--lora-apply-mode", "--batch-count", "--overwrite", "--init-img", "--strength", "--mask")) {
            assertTrue(help.contains(flag), flag + " missing from:\n" + help);
        }
        assertTrue(help.contains("RANDOM weights"), help);
    }

    @Test
    void cfgBatchIsAutoUnlessGiven() {
        assertEquals("auto", parsed("-p", "x").cfgBatch());
        assertEquals("off", parsed("-p", "x", "--cfg-batch", "off").cfgBatch());
    }

    @Test
    void sdxlSizeConditioningDefaultsToTheImageSizeAndParsesPairs() {
        dev.sdj.api.GenerationRequest plain = parsed("-p", "x", "-W", "768", "-H", "512");
        assertEquals(768, plain.originalWidth());
        assertEquals(512, plain.targetHeight());
        assertEquals(0, plain.cropTop());
        dev.sdj.api.GenerationRequest given = parsed("-p", "x", "--original-size", "2048x1536", "--crop-top-left", "16,32",
                "--target-size", "1024x1024");
        assertEquals(2048, given.originalWidth());
        assertEquals(1536, given.originalHeight());
        assertEquals(16, given.cropTop());
        assertEquals(32, given.cropLeft());
        assertEquals(1024, given.targetWidth());
        assertThrows(dev.sdj.api.InvalidRequestException.class, () -> parsed("-p", "x", "--original-size", "1024"));
    }

    @Test
    void stableDiffusionCppVideoFlagsReachTheRequestAndDefaultToAStillAt24Fps() {
        dev.sdj.api.GenerationRequest still = parsed("-p", "x");
        assertEquals(1, still.frames());
        assertEquals(24, still.fps());
        dev.sdj.api.GenerationRequest video = parsed("-p", "x", "--video-frames", "33", "--fps", "25");
        assertEquals(33, video.frames());
        assertEquals(25, video.fps());
        assertThrows(dev.sdj.api.InvalidRequestException.class, () -> parsed("-p", "x", "--video-frames", "0"));
        assertThrows(dev.sdj.api.InvalidRequestException.class, () -> parsed("-p", "x", "--fps", "0"));
    }

    @Test
    void loraFlagsTakeAWeightAfterTheLastColonAndRepeat() {
        dev.sdj.api.GenerationRequest r = parsed("-p", "x", "--lora", "styles/ink.safetensors:0.6", "--lora", "c:\\loras\\detail.safetensors",
                "--lora", "neg.gguf:-1.5e-1", "--lora-model-dir", "loras");
        assertEquals(List.of(new dev.sdj.api.Lora(Path.of("styles/ink.safetensors"), 0.6),
                new dev.sdj.api.Lora(Path.of("c:\\loras\\detail.safetensors"), 1.0),
                new dev.sdj.api.Lora(Path.of("neg.gguf"), -0.15)), r.loras());
        assertEquals(Path.of("loras"), r.loraModelDir().orElseThrow());
        assertTrue(parsed("-p", "x").loras().isEmpty());
        assertEquals("auto", r.loraApplyMode());
        assertEquals("at_runtime", parsed("-p", "x", "--lora-apply-mode", "at_runtime").loraApplyMode());
    }

    private static dev.sdj.api.GenerationRequest parsed(String... args) {
        GenerateCommand command = new GenerateCommand();
        new picocli.CommandLine(command).parseArgs(args);
        return command.request(new java.io.PrintWriter(new java.io.StringWriter()));
    }

    @Test
    void withoutAModelTheImageIsSmallAndQuickUnlessSizeOrStepsAreGiven() {
        dev.sdj.api.GenerationRequest builtIn = parsed("-p", "x");
        assertEquals(List.of(128, 128, 10), List.of(builtIn.width(), builtIn.height(), builtIn.steps()));
        dev.sdj.api.GenerationRequest real = parsed("-p", "x", "-m", "model.safetensors");
        assertEquals(List.of(512, 512, 20), List.of(real.width(), real.height(), real.steps()));
        dev.sdj.api.GenerationRequest given = parsed("-p", "x", "-W", "256", "-H", "192", "--steps", "3");
        assertEquals(List.of(256, 192, 3), List.of(given.width(), given.height(), given.steps()));
    }

    @Test
    void stableDiffusionCppSamplerAndSchedulerFlagsAreAliases() {
        dev.sdj.api.GenerationRequest r = parsed("-p", "x", "--sampling-method", "dpm++2m", "--scheduler", "karras");
        assertEquals(List.of("dpm++2m", "karras"), List.of(r.sampler(), r.schedule()));
    }

    @Test
    void anA1111SamplerNameWithKarrasSetsTheScheduleUnlessOneIsGiven() {
        dev.sdj.api.GenerationRequest named = parsed("-p", "x", "--sampler", "DPM++ 2M Karras");
        assertEquals(List.of("dpm++2m", "karras"), List.of(named.sampler(), named.schedule()));
        dev.sdj.api.GenerationRequest given = parsed("-p", "x", "--sampler", "DPM++ 2M Karras", "--schedule", "discrete");
        assertEquals("discrete", given.schedule());
        assertEquals("euler_a", parsed("-p", "x", "--sampler", "Euler a").sampler());
    }

    @Test
    void stableDiffusionCppMemoryFlagsAreAliases() {
        dev.sdj.api.GenerationRequest r = parsed("-p", "x", "--clip-on-cpu", "--vae-on-cpu", "--vae-tiling", "--max-vram", "4", "-t", "1");
        assertEquals(java.util.Set.of("text_encoders", "vae"), r.cpuComponents());
        assertEquals(256, r.vaeTileSize());
        assertEquals(4L << 30, r.maxDeviceMemory().getAsLong());
        assertEquals(1, r.threads().orElseThrow());
        assertEquals(128, parsed("-p", "x", "--vae-tiling", "--vae-tile", "128").vaeTileSize(), "a given tile size wins");
        assertEquals(0, parsed("-p", "x").vaeTileSize());
    }

    @Test
    void vaeConvDirectIsThePlannersChoiceUnlessGivenEitherWay() {
        assertEquals(java.util.Optional.empty(), parsed("-p", "x").vaeConvDirect());
        assertEquals(java.util.Optional.of(true), parsed("-p", "x", "--vae-conv-direct").vaeConvDirect());
        assertEquals(java.util.Optional.of(false), parsed("-p", "x", "--no-vae-conv-direct").vaeConvDirect());
    }

    @Test
    void componentFilesByRoleJoinTheModelFiles() {
        GenerateCommand command = new GenerateCommand();
        new picocli.CommandLine(command).parseArgs("-p", "x", "-m", "a.gguf", "--diffusion-model", "unet.safetensors",
                "--vae", "vae.safetensors", "--clip_l", "clip_l.safetensors");
        assertEquals(List.of(Path.of("a.gguf"), Path.of("unet.safetensors"), Path.of("vae.safetensors"), Path.of("clip_l.safetensors")),
                command.components.with(command.model));
        GenerateCommand byRole = new GenerateCommand();
        new picocli.CommandLine(byRole).parseArgs("-p", "x", "--diffusion-model", "unet.safetensors");
        assertEquals(512, byRole.request(new java.io.PrintWriter(new java.io.StringWriter())).width(), "a model given by role is no built-in model");
    }

    @Test
    void quietWritesAJpegForAJpgNameAndPrintsNothing(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        Path jpg = dir.resolve("cat.jpg");
        CliRun r = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "-W", "64", "-H", "64", "--steps", "1",
                "--device", "CPU", "-q", "-o", jpg.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        byte[] bytes = Files.readAllBytes(jpg);
        assertEquals(List.of(0xFF, 0xD8), List.of(bytes[0] & 0xFF, bytes[1] & 0xFF), "JPEG bytes, not PNG");
        assertEquals(64, ImageIO.read(jpg.toFile()).getWidth());
    }

    @Test
    void fluxFromItsFilesByRoleWithBothTokenizers(@TempDir Path dir) throws Exception {
        dev.sdj.core.family.clip.ClipVocabulary vocab = dev.sdj.core.family.clip.ClipVocabulary.Companion.tinyGenerated(400);
        dev.sdj.core.family.flux.TinyFluxModel flux = new dev.sdj.core.family.flux.TinyFluxModel();
        Path folder = flux.writeDiffusersFolder(dir.resolve("folder"), new kotlin.Pair<>(vocab.getTokens(), vocab.getMerges()), null);
        List<Path> files = flux.writeSplitFiles(dir.resolve("split"), "flux1-tiny.safetensors");
        Path t5 = java.util.stream.Stream.of(Path.of("../../shared/data/t5/tokenizer.json"), Path.of("/work/shared/data/t5/tokenizer.json"))
                .filter(Files::isRegularFile).findFirst().orElseThrow();
        Path png = dir.resolve("cat.png");
        CliRun r = CliRun.of("generate", "--diffusion-model", files.get(0).toString(), "--clip_l", files.get(1).toString(),
                "--t5xxl", files.get(2).toString(), "--vae", files.get(3).toString(), "--tokenizer", folder.resolve("tokenizer").toString(),
                "--t5-tokenizer", t5.toString(), "-p", "a cat", "-W", "48", "-H", "32", "--steps", "1", "--cfg-scale", "1",
                "--sampler", "euler", "--guidance", "2.5", "--device", "CPU", "-o", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(48, ImageIO.read(png.toFile()).getWidth());
        assertTrue(r.err().contains("T5-XXL"), "the T5 phase is reported: " + r.err());
        CliRun odd = CliRun.of("generate", "--diffusion-model", files.get(0).toString(), "--clip_l", files.get(1).toString(),
                "--t5xxl", files.get(2).toString(), "--vae", files.get(3).toString(), "--tokenizer", folder.resolve("tokenizer").toString(),
                "--t5-tokenizer", t5.toString(), "-p", "a cat", "-W", "40", "-H", "32", "--device", "CPU", "-o", png.toString());
        assertEquals(1, odd.code(), odd.err());
        assertTrue(odd.err().contains("error: ") && odd.err().contains("multiples of 16"), odd.err());
    }

    /** LTX-2's files by sd.cpp's roles: the clip is written as the -o name asks, with what was written said. */
    @Test
    void ltx2FromItsFilesByRoleWritesAClip(@TempDir Path dir) throws Exception {
        dev.sdj.core.family.ltx2.TinyLtx2Text.TextFiles text = new dev.sdj.core.family.ltx2.TinyLtx2Text().writeFiles(dir);
        Path dit = new dev.sdj.core.family.ltx2.TinyLtx2Dit().write(dir.resolve("ltx-2.3-tiny-dit.safetensors"));
        Path vae = new dev.sdj.core.family.ltx2.TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors"));
        Path clip = dir.resolve("fox.mp4");
        CliRun r = CliRun.of("generate", "--diffusion-model", dit.toString(), "--vae", vae.toString(), "--llm", text.getGemma().toString(),
                "--embeddings-connectors", text.getConnectors().toString(), "-m", text.getProjections().toString(), "-p", "a fox",
                "-W", "64", "-H", "64", "--video-frames", "9", "--fps", "12", "--steps", "1", "--cfg-scale", "1", "--sampler", "euler",
                "--device", "CPU", "--threads", "2", "-o", clip.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(clip) > 0);
        assertTrue(r.out().contains("9 frames of 64x64 at 12 fps") || r.err().contains("9 frames of 64x64 at 12 fps"), r.out() + r.err());
    }

    /** LTX-2's graphs grow with the clip: plan measures the frames and the prompt asked for, and each phase's peak. */
    @Test
    void planMeasuresAnLtx2ClipOfTheFramesAsked(@TempDir Path dir) throws Exception {
        dev.sdj.core.family.ltx2.TinyLtx2Text.TextFiles text = new dev.sdj.core.family.ltx2.TinyLtx2Text().writeFiles(dir);
        Path dit = new dev.sdj.core.family.ltx2.TinyLtx2Dit().write(dir.resolve("ltx-2.3-tiny-dit.safetensors"));
        Path vae = new dev.sdj.core.family.ltx2.TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors"));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        long[] dits = new long[2];
        String[] frames = {"9", "33"};
        for (int i = 0; i < 2; i++) {
            CliRun plan = CliRun.of("plan", "-m", text.getGemma().toString(), "-m", text.getConnectors().toString(), "-m", text.getProjections().toString(),
                    "-m", dit.toString(), "-m", vae.toString(), "-p", "a fox", "--video-frames", frames[i], "-W", "64", "-H", "64",
                    "--cfg-scale", "1", "--device", "CPU", "--no-mmap", "--json");
            assertEquals(0, plan.code(), plan.err());
            com.fasterxml.jackson.databind.JsonNode json = mapper.readTree(plan.out());
            dits[i] = json.get("computeBytes").get("ltx2 dit").asLong();
            long largest = 0;
            for (var phase : json.get("peakByPhase")) largest = Math.max(largest, phase.asLong());
            assertEquals(json.get("peakBytes").asLong(), largest, plan.out());
        }
        assertTrue(dits[1] > dits[0], "33 frames' DiT buffer " + dits[1] + " over 9 frames' " + dits[0]);
    }

    /** LTX-2 image-to-video from the command line: plan -i measures the VAE encoder's phase at the clip's size. */
    @Test
    void planOfAnLtx2ClipFromAnImageMeasuresTheEncoder(@TempDir Path dir) throws Exception {
        dev.sdj.core.family.ltx2.TinyLtx2Text.TextFiles text = new dev.sdj.core.family.ltx2.TinyLtx2Text().writeFiles(dir);
        Path dit = new dev.sdj.core.family.ltx2.TinyLtx2Dit().write(dir.resolve("ltx-2.3-tiny-dit.safetensors"));
        Path vae = new dev.sdj.core.family.ltx2.TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors"), new dev.sdj.core.family.ltx2.TinyLtx2VaeEncoder());
        Path initPng = dir.resolve("init.png");
        ImageIO.write(new java.awt.image.BufferedImage(40, 24, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", initPng.toFile());
        CliRun plan = CliRun.of("plan", "-m", text.getGemma().toString(), "-m", text.getConnectors().toString(), "-m", text.getProjections().toString(),
                "-m", dit.toString(), "-m", vae.toString(), "-p", "a fox", "--video-frames", "9", "-W", "64", "-H", "64", "--cfg-scale", "1",
                "-i", initPng.toString(), "--device", "CPU", "--no-mmap", "--json");
        assertEquals(0, plan.code(), plan.err());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(plan.out());
        assertTrue(json.get("peakByPhase").get("image encoding").asLong() > 0, plan.out());
        assertTrue(json.get("computeBytes").has("ltx2 video encoder 64x64x1"), plan.out());
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

    /**
     * A batch with a random seed: each image in its own file with its own seed in its parameters, consecutive from a
     * random first one; the same command again refuses to replace them, before any work.
     */
    @Test
    void aBatchWritesNumberedFilesWithConsecutiveSeedsAndRefusesToReplaceThem(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        String[] args = {"generate", "--model", model.toString(), "-p", "a cat", "-W", "32", "-H", "32", "--steps", "1",
                "--device", "CPU", "--threads", "2", "-b", "2", "--seed", "-1", "-o", dir.resolve("cat.png").toString()};
        CliRun r = CliRun.of(args);
        assertEquals(0, r.code(), r.err());
        long first = seedIn(dir.resolve("cat_0.png"));
        assertEquals(first + 1, seedIn(dir.resolve("cat_1.png")));
        assertFalse(Files.exists(dir.resolve("cat.png")));
        assertTrue(r.err().contains("image 2 of 2") && r.err().contains("wrote " + dir.resolve("cat_1.png") + " (32x32, seed " + (first + 1)),
                r.err());
        CliRun again = CliRun.of(args);
        assertEquals(1, again.code());
        assertEquals("error: " + dir.resolve("cat_0.png") + " exists, and a batch of 2 does not replace files it names itself: pass"
                + " --overwrite to replace it, or choose another -o", again.err().strip(), "one line, before the model is opened");
        CliRun none = CliRun.of("generate", "-p", "x", "-b", "0", "-o", dir.resolve("x.png").toString());
        assertEquals(1, none.code());
        assertEquals("error: batch count must be at least 1 (the number of images), got 0", none.err().strip());
    }

    /**
     * Image-to-image from the command line: the image starts from the -i file and says its strength; a missing file is
     * one line; plan -i plans the encoder's phase.
     */
    @Test
    void anInitImageIsEncodedAndItsStrengthWritten(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        java.awt.image.BufferedImage init = new java.awt.image.BufferedImage(40, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 40; x++) init.setRGB(x, y, (x * 6) << 16 | (y * 10) << 8 | 200);
        Path initPng = dir.resolve("init.png");
        ImageIO.write(init, "png", initPng.toFile());
        Path png = dir.resolve("out.png");
        CliRun r = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "-W", "32", "-H", "32", "--steps", "2",
                "--device", "CPU", "--threads", "2", "-i", initPng.toString(), "--strength", "0.5", "-o", png.toString());
        assertEquals(0, r.code(), r.err());
        String text = new String(Files.readAllBytes(png), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("Denoising strength: 0.5"), "the parameters name the strength");
        Path missing = dir.resolve("nope.png");
        CliRun none = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "-W", "32", "-H", "32", "--steps", "1",
                "--device", "CPU", "--threads", "2", "-i", missing.toString(), "-o", png.toString());
        assertEquals(1, none.code());
        assertEquals("error: init image " + missing + ": no such file", none.err().strip().lines().reduce((a, b) -> b).orElse(""), none.err());
        CliRun plan = CliRun.of("plan", "--model", model.toString(), "-W", "32", "-H", "32", "--device", "CPU", "-i", initPng.toString(), "--json");
        assertEquals(0, plan.code(), plan.err());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(plan.out());
        assertTrue(json.get("computeBytes").get("vae encoder").asLong() > 0, "plan -i measures the encoder: " + plan.out());
        assertTrue(json.get("peakByPhase").has("image encoding"), plan.out());
    }

    /** Inpainting from the command line: --mask with -i repaints; without -i it is one line naming the mask, before the model opens. */
    @Test
    void aMaskRepaintsWithAnInitImageAndIsRefusedWithoutOne(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        java.awt.image.BufferedImage init = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.image.BufferedImage mask = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) {
            init.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | 90);
            mask.setRGB(x, y, x < 16 ? 0xffffff : 0);
        }
        Path initPng = dir.resolve("init.png");
        Path maskPng = dir.resolve("mask.png");
        ImageIO.write(init, "png", initPng.toFile());
        ImageIO.write(mask, "png", maskPng.toFile());
        Path png = dir.resolve("out.png");
        CliRun r = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "-W", "32", "-H", "32", "--steps", "2",
                "--device", "CPU", "--threads", "2", "-i", initPng.toString(), "--mask", maskPng.toString(), "-o", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(png) > 0);
        CliRun alone = CliRun.of("generate", "--model", model.toString(), "-p", "a cat", "--mask", maskPng.toString(), "-o", png.toString());
        assertEquals(1, alone.code());
        assertEquals("error: mask " + maskPng + " needs an init image to repaint: give one with initImage (--init-img)", alone.err().strip());
    }

    /** The seed in a PNG's A1111 parameters text. */
    private static long seedIn(Path png) throws java.io.IOException {
        String bytes = new String(Files.readAllBytes(png), java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Seed: (\\d+),").matcher(bytes);
        assertTrue(m.find(), "no seed in " + png);
        return Long.parseLong(m.group(1));
    }

    @Test
    void diffusionFaPlansTheUnetWithoutTheNaiveAttentionBuffer(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        long[] unet = new long[2];
        String[][] flags = {{"--diffusion-fa"}, {}};
        for (int i = 0; i < 2; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("plan", "--model", model.toString(), "-W", "256", "-H", "256",
                    "--device", "CPU", "--json"));
            args.addAll(List.of(flags[i]));
            CliRun plan = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, plan.code(), plan.err());
            unet[i] = mapper.readTree(plan.out()).get("computeBytes").get("unet").asLong();
        }
        assertTrue(unet[1] > unet[0] + (16 << 20), "the naive path's 32 MiB score matrix: flash " + unet[0] + ", naive " + unet[1]);
    }

    @Test
    void planShowsThePlacementWithoutLoadingAndRefusesAnImpossibleCap(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        CliRun mapped = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--json");
        assertEquals(0, mapped.code(), mapped.err());
        assertTrue(new com.fasterxml.jackson.databind.ObjectMapper().readTree(mapped.out()).get("mappedBytes").get("diffusion model").asLong() > 0,
                "on the CPU the diffusion model's weights are read in place: " + mapped.out());
        // Copied weights from here on: mapped ones leave the allocated peaks, and with them the caps this test steps through.
        CliRun plan = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--json", "--no-mmap");
        assertEquals(0, plan.code(), plan.err());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(plan.out());
        assertEquals("resident", json.get("placement").asText());
        assertTrue(json.get("mappedBytes").isEmpty(), plan.out());
        long sequential = json.get("peakByPlacement").get("sequential").asLong();
        CliRun capped = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--no-mmap",
                "--max-vram", String.valueOf(sequential) + "B");
        assertEquals(0, capped.code(), capped.err());
        assertTrue(capped.out().contains("placement: sequential"), capped.out());
        CliRun streamed = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--no-mmap",
                "--max-vram", String.valueOf(sequential - 1) + "B", "--json");
        assertEquals(0, streamed.code(), streamed.err());
        com.fasterxml.jackson.databind.JsonNode s = new com.fasterxml.jackson.databind.ObjectMapper().readTree(streamed.out());
        assertEquals("streamed", s.get("placement").asText());
        assertTrue(s.get("residentBlocks").asInt() < s.get("blocks").asInt(), streamed.out());
        assertTrue(s.get("uploadBytesPerStep").asLong() > 0, streamed.out());
        long smallest = json.get("peakByPlacement").get("streamed").asLong();
        CliRun impossible = CliRun.of("plan", "--model", model.toString(), "-W", "64", "-H", "64", "--device", "CPU", "--no-mmap",
                "--max-vram", String.valueOf(smallest - 1) + "B");
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

    @Test
    void anOutputPathThatCannotTakeTheImageFailsBeforeAnyWork(@TempDir Path dir) {
        CliRun directory = CliRun.of("generate", "-p", "x", "-o", dir.toString());
        assertEquals(1, directory.code());
        assertEquals("error: cannot write the image to " + dir + ": it is a directory; give a file name, e.g. "
                + dir.resolve("output.png"), directory.err().strip(), "one line, before the model is even opened");
        CliRun empty = CliRun.of("generate", "-p", "x", "-o", "");
        assertEquals(1, empty.code());
        assertEquals("error: the output path is empty: give a file name with -o, or -o - for standard output", empty.err().strip());
    }

    @Test
    void aVideoNameIsRefusedForAnImageModelBeforeItLoads(@TempDir Path dir) {
        Path mp4 = dir.resolve("clip.mp4");
        CliRun run = CliRun.of("generate", "-p", "x", "-o", mp4.toString());
        assertEquals(1, run.code());
        assertEquals("error: cannot write " + mp4 + ": it names a video, and Stable Diffusion 1.x makes images; use .png or .jpg (.jpeg)"
                + " for an image, or a video model (LTX-2) for a video", run.err().strip(), "one line, before the model is opened");
        CliRun malformed = CliRun.of("generate", "-p", "x", "-o", dir.resolve("f_%d_%d.png").toString());
        assertEquals(1, malformed.code());
        assertTrue(malformed.err().strip().startsWith("error: cannot write video frames to ") && malformed.err().contains("2 frame numbers"),
                malformed.err());
    }

    /** `sdj generate` in its own JVM, with its own cache directory: standard output and the environment are its own. */
    private static Process sdj(Path cache, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.sdj.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("SDJ_CACHE_DIR", cache.toString());
        return pb.start();
    }

    @Test
    void terminatingARunCancelsItAtAStepAndSaysSo(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        Path png = dir.resolve("never.png");
        Process p = sdj(dir.resolve("cache"), "generate", "--model", model.toString(), "-p", "a cat", "-W", "64", "-H", "64",
                "--steps", "1000", "--device", "CPU", "-o", png.toString());
        StringBuffer err = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream()))) {
                lines.lines().forEach(line -> err.append(line).append('\n'));
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                err.append("(stderr: ").append(e).append(")\n");
            }
        });
        reader.start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!err.toString().contains("text encoding 2/2") && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        p.toHandle().destroy(); // SIGTERM, like Ctrl-C a shutdown; Process.destroy would also close our end of stderr
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "stopped within a step: " + err);
        reader.join(5000);
        assertTrue(err.toString().contains("generation cancelled after "), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        assertFalse(Files.exists(png), "no image from a cancelled run");
    }

    @Test
    void withoutAVulkanLoaderLwjglPrintsNothingOutsideDevices(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // LWJGL looks for this library name instead of libvulkan.so.1, as on a machine without the loader.
        Process p = new ProcessBuilder(java, "-Dorg.lwjgl.vulkan.libname=libsdj-no-such-vulkan.so.1", "-cp", System.getProperty("java.class.path"),
                "dev.sdj.cli.Main", "plan", "--model", model.toString(), "-W", "64", "-H", "64").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        assertTrue(output.contains("placement:"), output);
        assertFalse(output.contains("[LWJGL]"), output);
    }

    @Test
    void dashWritesThePngToStandardOutput(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        Process p = sdj(dir.resolve("cache"), "generate", "--model", model.toString(), "-p", "a cat", "-W", "64", "-H", "64",
                "--steps", "1", "--device", "CPU", "-o", "-");
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] png = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), new String(err.get()));
        assertEquals(64, ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth());
        assertTrue(new String(err.get()).contains("wrote standard output"), new String(err.get()));
    }

    @Test
    void anUnwritableCacheDirectoryIsOneErrorLine(@TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        Process p = sdj(notADirectory.resolve("cache"), "generate", "-p", "x", "-o", dir.resolve("x.png").toString());
        String err = new String(p.getErrorStream().readAllBytes()).strip();
        assertEquals(1, p.waitFor(), err);
        String last = err.lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("error: cannot write the built-in tiny model into " + notADirectory.resolve("cache/models"))
                && last.endsWith("set SDJ_CACHE_DIR to a writable directory"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }
}
