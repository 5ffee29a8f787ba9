package dev.sdj.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TypedChoicesTest {

    @Test
    void eachConstantBuildsTheRequestItsStringFormBuilds() {
        for (Sampler s : Sampler.values()) {
            assertEquals(s.id(), GenerationRequest.builder("x").sampler(s).build().sampler());
        }
        for (Schedule s : Schedule.values()) {
            assertEquals(s.id(), GenerationRequest.builder("x").schedule(s).build().schedule());
        }
        for (Rng r : Rng.values()) {
            assertEquals(r.id(), GenerationRequest.builder("x").rng(r).build().rng());
        }
        for (Placement p : Placement.values()) {
            assertEquals(p.id(), GenerationRequest.builder("x").placement(p).build().placement());
        }
    }

    @Test
    void theStringFormsAcceptedAreExactlyTheConstantsIds() {
        assertEquals(GenerationRequest.Builder.SAMPLERS, java.util.List.of("euler", "euler_a", "dpm++2m"));
        assertEquals(Sampler.DPM_PP_2M, Sampler.of("dpm++2m"));
        assertEquals(Placement.STREAMED, Placement.of("streamed"));
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("x").sampler("dpm++ 2m").build());
    }

    @Test
    void anUnknownIdIsRefusedNamingTheValidOnes() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> Schedule.of("exponential"));
        assertEquals("unknown schedule 'exponential'; choose one of discrete, karras", e.getMessage());
    }

    @Test
    void theDefaultsAreTheDocumentedConstants() {
        GenerationRequest r = GenerationRequest.builder("x").build();
        assertEquals(Sampler.EULER_A, Sampler.of(r.sampler()));
        assertEquals(Schedule.DISCRETE, Schedule.of(r.schedule()));
        assertEquals(Rng.CUDA, Rng.of(r.rng()));
        assertEquals(Placement.AUTO, Placement.of(r.placement()));
    }
}
