package dev.sdj.api;

import java.util.List;

/** Which generator draws the noise, so that a seed gives the image other tools give (see {@link GenerationRequest#rng()}). */
public enum Rng {
    /** torch's CUDA generator, stable-diffusion.cpp's default (the default). */
    CUDA("cuda"),
    /** torch's CPU generator. */
    CPU("cpu");

    private final String id;

    Rng(String id) {
        this.id = id;
    }

    /** The string form {@link GenerationRequest.Builder} takes and reports carry, e.g. "cuda". */
    public String id() {
        return id;
    }

    /**
     * The constant whose {@link #id()} is {@code id}.
     *
     * @throws InvalidRequestException naming the valid ids when none matches
     */
    public static Rng of(String id) {
        return Choices.of(values(), Rng::id, id, "rng");
    }

    /** Every id, in declaration order. */
    static List<String> ids() {
        return Choices.ids(values(), Rng::id);
    }
}
