package dev.sdj.api;

import java.util.List;

/** Where a model's components live during a generation (see {@link GenerationRequest#placement()}). */
public enum Placement {
    /** The fastest placement that fits the device budget (the default). */
    AUTO("auto"),
    /** Every component stays on the device across phases and generations. */
    RESIDENT("resident"),
    /** Each phase's components are loaded for it, so the peak is the largest group's, not the sum. */
    SEQUENTIAL("sequential"),
    /** As sequential, with the diffusion model's blocks streamed through the device. */
    STREAMED("streamed");

    private final String id;

    Placement(String id) {
        this.id = id;
    }

    /** The string form {@link GenerationRequest.Builder} takes and reports carry, e.g. "auto". */
    public String id() {
        return id;
    }

    /**
     * The constant whose {@link #id()} is {@code id}.
     *
     * @throws InvalidRequestException naming the valid ids when none matches
     */
    public static Placement of(String id) {
        return Choices.of(values(), Placement::id, id, "placement");
    }

    /** Every id, in declaration order. */
    static List<String> ids() {
        return Choices.ids(values(), Placement::id);
    }
}
