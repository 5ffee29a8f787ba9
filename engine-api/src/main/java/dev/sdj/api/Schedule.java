package dev.sdj.api;

import java.util.List;

/** How the noise levels are spaced over the steps (see {@link GenerationRequest#schedule()}). */
public enum Schedule {
    /** The model's own spacing (the default). */
    DISCRETE("discrete"),
    /** Karras et al.'s spacing, denser at low noise. */
    KARRAS("karras");

    private final String id;

    Schedule(String id) {
        this.id = id;
    }

    /** The string form {@link GenerationRequest.Builder} takes and reports carry, e.g. "discrete". */
    public String id() {
        return id;
    }

    /**
     * The constant whose {@link #id()} is {@code id}.
     *
     * @throws InvalidRequestException naming the valid ids when none matches
     */
    public static Schedule of(String id) {
        return Choices.of(values(), Schedule::id, id, "schedule");
    }

    /** Every id, in declaration order. */
    static List<String> ids() {
        return Choices.ids(values(), Schedule::id);
    }
}
