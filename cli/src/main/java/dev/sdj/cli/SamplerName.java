package dev.sdj.cli;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A sampler as users spell it elsewhere: stable-diffusion.cpp's "euler_a", "dpm++2m", AUTOMATIC1111's "Euler a",
 * "DPM++ 2M", or its older "DPM++ 2M Karras", which also names the schedule. An unknown name passes through unchanged,
 * so that the engine's refusal lists the names it knows.
 */
record SamplerName(String sampler, Optional<String> schedule) {
    /** Keys are spellings with case, spaces, '_' and '-' dropped. */
    private static final Map<String, String> SAMPLERS = Map.of(
            "euler", "euler", "eulera", "euler_a", "eulerancestral", "euler_a", "dpm++2m", "dpm++2m", "dpmpp2m", "dpm++2m");
    private static final String KARRAS = " karras";

    static SamplerName parse(String given) {
        String name = given.trim().toLowerCase(Locale.ROOT);
        Optional<String> schedule = Optional.empty();
        if (name.endsWith(KARRAS)) {
            name = name.substring(0, name.length() - KARRAS.length());
            schedule = Optional.of("karras");
        }
        String engineName = SAMPLERS.get(name.replaceAll("[ _-]", ""));
        return engineName == null ? new SamplerName(given, Optional.empty()) : new SamplerName(engineName, schedule);
    }
}
