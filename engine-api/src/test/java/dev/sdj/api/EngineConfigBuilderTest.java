package dev.sdj.api;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class EngineConfigBuilderTest {

    @Test
    void theBuilderKeepsEveryFileInOrderAndEachSetting() {
        EngineConfig c = EngineConfig.builder().model(Path.of("unet.gguf")).model(List.of(Path.of("vae.safetensors"), Path.of("clip_l.safetensors")))
                .tokenizer(Path.of("tok")).t5Tokenizer(Path.of("spiece.model")).weightType("q8_0").mapWeights(false).cacheDirectory(Path.of("cache")).build();
        assertEquals(List.of(Path.of("unet.gguf"), Path.of("vae.safetensors"), Path.of("clip_l.safetensors")), c.model());
        assertEquals(Optional.of(Path.of("tok")), c.tokenizer());
        assertEquals(Optional.of(Path.of("spiece.model")), c.t5Tokenizer());
        assertEquals(Optional.of("q8_0"), c.weightType());
        assertFalse(c.mapWeights());
        assertEquals(Optional.of(Path.of("cache")), c.cacheDirectory());
    }

    @Test
    void unsetSettingsAreTheRecordsDefaults() {
        assertEquals(EngineConfig.of(Path.of("m.gguf")), EngineConfig.builder().model(Path.of("m.gguf")).build());
    }

    @Test
    void aConfigWithoutModelIsRefused() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> EngineConfig.builder().build());
        assertTrue(e.getMessage().startsWith("no model given"), e.getMessage());
    }

    /** engine-api's own tests run without engine-core: every entry point says what to add instead of failing obscurely. */
    @Test
    void withoutAnImplementationTheEntryPointsNameTheMissingDependency() {
        for (Runnable call : List.<Runnable>of(DeviceReport::current, EngineConfig::demo, Tools::get,
                () -> ModelInspection.of(EngineConfig.of(Path.of("m.gguf"))), () -> Engine.open(EngineConfig.of(Path.of("m.gguf"))))) {
            EngineException e = assertThrows(EngineException.class, call::run);
            assertTrue(e.getMessage().contains("dev.sdj:engine-core"), e.getMessage());
        }
    }
}
