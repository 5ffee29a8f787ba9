package dev.sdj.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ModelInspectionTest {
    @Test
    void onlyAVideoFamilyMakesVideo() {
        assertTrue(inspection("LTX2").makesVideo());
        for (String family : List.of("SD1", "SD2", "SDXL", "FLUX")) {
            assertFalse(inspection(family).makesVideo(), family);
        }
    }

    private static ModelInspection inspection(String family) {
        return new ModelInspection(family, family, List.of(), List.of(), List.of(), List.of(), List.of());
    }
}
