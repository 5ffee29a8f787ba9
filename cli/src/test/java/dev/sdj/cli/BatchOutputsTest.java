package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BatchOutputsTest {
    @TempDir
    Path dir;

    @Test
    void eachImageOfABatchTakesItsIndexBeforeTheExtension() {
        assertEquals(dir.resolve("output_0.png"), BatchOutputs.name(dir.resolve("output.png"), 0));
        assertEquals(dir.resolve("cat.v2_3.jpg"), BatchOutputs.name(dir.resolve("cat.v2.jpg"), 3));
        assertEquals(dir.resolve("clip_1.mp4"), BatchOutputs.name(dir.resolve("clip.mp4"), 1));
        assertEquals(dir.resolve("frame_%03d_2.png"), BatchOutputs.name(dir.resolve("frame_%03d.png"), 2));
        assertEquals(Path.of("noext_0"), BatchOutputs.name(Path.of("noext"), 0));
        assertEquals(Path.of(".hidden_1"), BatchOutputs.name(Path.of(".hidden"), 1));
    }

    @Test
    void aBatchOfOneWritesTheGivenNameAndReplacesAFileThere() throws Exception {
        Path out = Files.writeString(dir.resolve("out.png"), "old");
        List<GenerateOutput> outputs = BatchOutputs.prepare(out, 1, 1, false);
        assertEquals(1, outputs.size());
        assertFalse(outputs.get(0).isVideo());
    }

    @Test
    void anExistingFileOfTheBatchIsRefusedByNameUnlessOverwriteIsGiven() throws Exception {
        Path out = dir.resolve("out.png");
        Path second = Files.writeString(dir.resolve("out_1.png"), "old");
        UserError e = assertThrows(UserError.class, () -> BatchOutputs.prepare(out, 3, 1, false));
        assertEquals(second + " exists, and a batch of 3 does not replace files it names itself: pass --overwrite to replace it,"
                + " or choose another -o", e.getMessage());
        assertEquals(3, BatchOutputs.prepare(out, 3, 1, true).size());
        Files.delete(second);
        assertEquals(3, BatchOutputs.prepare(out, 3, 1, false).size());
        assertEquals("old", Files.readString(Files.writeString(out, "old")), "the -o name itself is not one of the batch's");
        assertEquals(3, BatchOutputs.prepare(out, 3, 1, false).size());
    }

    @Test
    void aFramePatternChecksEveryFrameFileAClipMayWrite() throws Exception {
        Files.writeString(dir.resolve("f_004_1.png"), "old");
        UserError e = assertThrows(UserError.class, () -> BatchOutputs.prepare(dir.resolve("f_%03d.png"), 2, 9, false));
        assertTrue(e.getMessage().startsWith(dir.resolve("f_004_1.png") + " exists"), e.getMessage());
        assertEquals(2, BatchOutputs.prepare(dir.resolve("f_%03d.png"), 2, 4, false).size(), "a clip of 4 frames stops at f_003_1.png");
    }

    @Test
    void standardOutputTakesOneImageAndADeviceTakesThemAll() {
        UserError e = assertThrows(UserError.class, () -> BatchOutputs.prepare(Path.of("-"), 2, 1, false));
        assertTrue(e.getMessage().startsWith("standard output takes one image, and -b asks for 2"), e.getMessage());
        Path devNull = Path.of("/dev/null");
        List<GenerateOutput> outputs = BatchOutputs.prepare(devNull, 3, 1, false);
        assertEquals(3, outputs.size());
        assertFalse(Files.exists(Path.of("/dev/null_0")));
    }
}
