package dev.sdj.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GenerationRequestTest {

    @Test
    void aNulInThePromptIsRefusedWhenBuilt() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a cat\0").build());
        assertEquals("the prompt contains a NUL character at index 5", e.getMessage());
    }

    @Test
    void aLoneSurrogateInTheNegativePromptIsRefusedWhenBuilt() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a cat").negativePrompt("fog \uD83D").build());
        assertTrue(e.getMessage().startsWith("the negative prompt contains a lone UTF-16 surrogate (U+D83D) at index 4"), e.getMessage());
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("\uDC00 reversed \uD83D").build());
    }

    @Test
    void pairedSurrogatesAndOtherUnicodeAreAccepted() {
        GenerationRequest r = GenerationRequest.builder("a cat \uD83D\uDC31, 猫, tab\there").negativePrompt("\uD83C\uDF2B").build();
        assertEquals("a cat \uD83D\uDC31, 猫, tab\there", r.prompt());
    }

    @Test
    void aRequestIsAStillAtTwentyFourFramesPerSecondUnlessToldOtherwise() {
        GenerationRequest r = GenerationRequest.builder("a cat").build();
        assertEquals(1, r.frames());
        assertEquals(24, r.fps());
    }

    @Test
    void framesAndFpsAreKeptAndSurviveToBuilder() {
        GenerationRequest r = GenerationRequest.builder("a cat").frames(33).fps(25).build();
        assertEquals(33, r.frames());
        assertEquals(25, r.fps());
        GenerationRequest copy = r.toBuilder().seed(7).build();
        assertEquals(33, copy.frames());
        assertEquals(25, copy.fps());
    }

    @Test
    void cfgBatchIsAutoUnlessToldOtherwiseSurvivesToBuilderAndAnUnknownOneIsRefused() {
        assertEquals("auto", GenerationRequest.builder("a cat").build().cfgBatch());
        assertEquals("off", GenerationRequest.builder("a cat").cfgBatch("off").build().toBuilder().seed(7).build().cfgBatch());
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").cfgBatch("twice").build());
        assertEquals("unknown cfg batch 'twice'; choose one of auto, on, off", e.getMessage());
    }

    @Test
    void anInitImageAndItsStrengthSurviveToBuilderAndAStrengthOutsideZeroToOneIsRefused() {
        GenerationRequest plain = GenerationRequest.builder("a cat").build();
        assertTrue(plain.initImage().isEmpty());
        assertEquals(0.75, plain.strength(), "stable-diffusion.cpp's default");
        java.nio.file.Path init = java.nio.file.Path.of("init.png");
        GenerationRequest r = GenerationRequest.builder("a cat").initImage(init).strength(0.3).build().toBuilder().seed(7).build();
        assertEquals(init, r.initImage().orElseThrow());
        assertEquals(0.3, r.strength());
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").strength(1.5).build());
        assertEquals("strength must be between 0 and 1, got 1.5", e.getMessage());
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").strength(Double.NaN).build());
    }

    @Test
    void aMaskSurvivesToBuilderAndIsRefusedWithoutAnInitImageNamingBoth() {
        assertTrue(GenerationRequest.builder("a cat").build().mask().isEmpty());
        java.nio.file.Path init = java.nio.file.Path.of("init.png");
        java.nio.file.Path mask = java.nio.file.Path.of("mask.png");
        GenerationRequest r = GenerationRequest.builder("a cat").initImage(init).mask(mask).build().toBuilder().seed(7).build();
        assertEquals(mask, r.mask().orElseThrow());
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").mask(mask).build());
        assertEquals("mask mask.png needs an init image to repaint: give one with initImage (--init-img)", e.getMessage());
    }

    @Test
    void framesOutsideOneToTheMaximumAreRefusedNamingTheBounds() {
        InvalidRequestException none = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").frames(0).build());
        assertEquals("frames must be between 1 (a still) and 1025, got 0", none.getMessage());
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").frames(-9).build());
        assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a").frames(GenerationRequest.Builder.MAX_FRAMES + 1).build());
        assertEquals(GenerationRequest.Builder.MAX_FRAMES,
                GenerationRequest.builder("a").frames(GenerationRequest.Builder.MAX_FRAMES).build().frames());
    }

    @Test
    void fpsOutsideOneToTheMaximumIsRefusedNamingTheBounds() {
        InvalidRequestException zero = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").fps(0).build());
        assertEquals("fps must be between 1 and 240, got 0", zero.getMessage());
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").fps(241).build());
        assertEquals(1, GenerationRequest.builder("a").fps(1).build().fps());
    }

    @Test
    void lorasKeepTheirOrderAndSurviveToBuilderAndANonFiniteWeightIsRefused() {
        java.nio.file.Path a = java.nio.file.Path.of("a.safetensors");
        java.nio.file.Path b = java.nio.file.Path.of("b.gguf");
        GenerationRequest r = GenerationRequest.builder("x").lora(a, 0.5).lora(b, -1).loraModelDir(java.nio.file.Path.of("loras")).build();
        assertEquals(java.util.List.of(new Lora(a, 0.5), new Lora(b, -1)), r.loras());
        GenerationRequest copy = r.toBuilder().prompt("y").build();
        assertEquals(r.loras(), copy.loras());
        assertEquals(r.loraModelDir(), copy.loraModelDir());
        assertEquals("y", copy.prompt());
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("x").lora(a, Double.NaN));
        assertTrue(e.getMessage().contains("a.safetensors"), e.getMessage());
        assertTrue(GenerationRequest.builder("x").build().loras().isEmpty());
    }

    @Test
    void aRequestIsOneImageUnlessABatchIsAskedAndTheCountSurvivesToBuilder() {
        assertEquals(1, GenerationRequest.builder("a cat").build().batchCount());
        GenerationRequest batch = GenerationRequest.builder("a cat").batchCount(4).build();
        assertEquals(4, batch.batchCount());
        assertEquals(4, batch.toBuilder().seed(9).build().batchCount());
    }

    @Test
    void aBatchOfLessThanOneImageIsRefusedNamingTheCount() {
        InvalidRequestException zero = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").batchCount(0).build());
        assertEquals("batch count must be at least 1 (the number of images), got 0", zero.getMessage());
        InvalidRequestException negative = assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("a").batchCount(-3).build());
        assertTrue(negative.getMessage().endsWith("got -3"), negative.getMessage());
    }

    @Test
    void aBatchWhoseSeedsWouldPassTheLargestSeedIsRefused() {
        assertEquals(Long.MAX_VALUE - 1, GenerationRequest.builder("a").seed(Long.MAX_VALUE - 1).batchCount(2).build().seed());
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a").seed(Long.MAX_VALUE - 1).batchCount(3).build());
        assertTrue(e.getMessage().contains("batch of 3") && e.getMessage().contains("at image 2"), e.getMessage());
        assertEquals(5, GenerationRequest.builder("a").seed(GenerationRequest.Builder.RANDOM_SEED).batchCount(5).build().batchCount(),
                "a random seed is drawn small enough for any batch");
    }
}
