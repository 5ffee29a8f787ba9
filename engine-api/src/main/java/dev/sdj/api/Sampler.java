package dev.sdj.api;

import java.util.List;

/** How each denoising step moves from noise towards the image (see {@link GenerationRequest#sampler()}). */
public enum Sampler {
    /** Euler's method: deterministic, one model evaluation per step. */
    EULER("euler"),
    /** Euler ancestral: adds fresh noise at each step (the default). */
    EULER_A("euler_a"),
    /** DPM++ 2M: second-order multistep, deterministic. */
    DPM_PP_2M("dpm++2m");

    private final String id;

    Sampler(String id) {
        this.id = id;
    }

    /** The string form {@link GenerationRequest.Builder} takes and reports carry, e.g. "euler". */
    public String id() {
        return id;
    }

    /**
     * The constant whose {@link #id()} is {@code id}.
     *
     * @throws InvalidRequestException naming the valid ids when none matches
     */
    public static Sampler of(String id) {
        return Choices.of(values(), Sampler::id, id, "sampler");
    }

    /** Every id, in declaration order. */
    static List<String> ids() {
        return Choices.ids(values(), Sampler::id);
    }
}
