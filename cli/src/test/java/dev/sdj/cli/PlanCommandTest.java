package dev.sdj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.InvalidRequestException;
import dev.sdj.core.registry.DefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** plan reads a request as generate does: a batch and an inpainting mask reach the engine's plan, which names the VAE's convolution path. */
class PlanCommandTest {

    private static GenerationRequest parsed(String... args) {
        PlanCommand command = new PlanCommand();
        String[] withModel = new String[args.length + 2];
        withModel[0] = "-m";
        withModel[1] = "model.safetensors";
        System.arraycopy(args, 0, withModel, 2, args.length);
        new picocli.CommandLine(command).parseArgs(withModel);
        return command.request();
    }

    @Test
    void batchCountAndMaskReachTheRequestAsGenerateReadsThem() {
        GenerationRequest r = parsed("-b", "4", "-i", "init.png", "--mask", "mask.png");
        assertEquals(4, r.batchCount());
        assertEquals(Path.of("mask.png"), r.mask().orElseThrow());
        assertEquals(1, parsed().batchCount());
        assertTrue(parsed().mask().isEmpty());
        InvalidRequestException alone = assertThrows(InvalidRequestException.class, () -> parsed("--mask", "mask.png"));
        assertTrue(alone.getMessage().contains("needs an init image"), alone.getMessage());
        assertThrows(InvalidRequestException.class, () -> parsed("--batch-count", "0"));
    }

    @Test
    void aBatchPlanSaysWhatItsImagesUploadAndAMaskIsPlannedWithItsInitImage(@TempDir Path dir) throws Exception {
        Path model = DefaultModel.INSTANCE.path(dir);
        // plan reads the init image: its encoding's reuse key hashes the file (and an inpainting checkpoint's mask).
        Path init = dir.resolve("init.png");
        Path mask = dir.resolve("mask.png");
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "png", init.toFile());
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY), "png", mask.toFile());
        CliRun batch = CliRun.of("plan", "--model", model.toString(), "-W", "32", "-H", "32", "--device", "CPU",
                "--placement", "sequential", "-b", "3", "-i", init.toString(), "--mask", mask.toString(), "--json");
        assertEquals(0, batch.code(), batch.err());
        JsonNode json = new ObjectMapper().readTree(batch.out());
        assertEquals(3, json.get("batchCount").asInt());
        long perImage = json.get("uploadBytesPerGeneration").asLong();
        long all = json.get("uploadBytesPerBatch").asLong();
        // A fresh engine's first image loads everything; the later ones keep what sequential keeps and skip the text encoder.
        assertTrue(all >= perImage && all < 3 * perImage, "batch " + all + ", per generation " + perImage);
        assertTrue(json.get("peakByPhase").has("image encoding"), "the mask's init image is encoded: " + batch.out());
        assertEquals("im2col", json.get("vaeConvolution").asText(), "the planner's VAE path when it fits: " + batch.out());
        CliRun text = CliRun.of("plan", "--model", model.toString(), "-W", "32", "-H", "32", "--device", "CPU", "-b", "3");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("for the batch of 3 (the prompt encoded once)"), text.out());
        assertTrue(text.out().contains("vae conv:  im2col: the default, so that the image never depends on the budget"), text.out());
    }
}
