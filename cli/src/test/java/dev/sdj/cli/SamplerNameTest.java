package dev.sdj.cli;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class SamplerNameTest {
    @Test
    void stableDiffusionCppSpellingsAreTheEngineNames() {
        for (String name : new String[]{"euler", "euler_a", "dpm++2m"}) {
            assertEquals(new SamplerName(name, Optional.empty()), SamplerName.parse(name));
        }
    }

    @Test
    void a1111NamesMapToTheEngineNames() {
        assertEquals(new SamplerName("euler_a", Optional.empty()), SamplerName.parse("Euler a"));
        assertEquals(new SamplerName("euler", Optional.empty()), SamplerName.parse("Euler"));
        assertEquals(new SamplerName("dpm++2m", Optional.empty()), SamplerName.parse("DPM++ 2M"));
        assertEquals(new SamplerName("dpm++2m", Optional.empty()), SamplerName.parse("dpmpp_2m"));
    }

    @Test
    void aKarrasSuffixNamesTheSchedule() {
        assertEquals(new SamplerName("dpm++2m", Optional.of("karras")), SamplerName.parse("DPM++ 2M Karras"));
    }

    @Test
    void anUnknownNamePassesThroughForTheEngineToRefuse() {
        assertEquals(new SamplerName("Heun Karras", Optional.empty()), SamplerName.parse("Heun Karras"));
    }
}
