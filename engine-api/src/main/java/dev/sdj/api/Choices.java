package dev.sdj.api;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** The lookups the typed choices ({@link Sampler}, {@link Schedule}, {@link Rng}, {@link Placement}) share. */
final class Choices {
    private Choices() {
    }

    /** The constant of {@code values} whose id is {@code given}; else an error naming {@code what} and the valid ids. */
    static <E> E of(E[] values, Function<E, String> id, String given, String what) {
        for (E v : values) {
            if (id.apply(v).equals(given)) {
                return v;
            }
        }
        throw new InvalidRequestException("unknown " + what + " '" + given + "'; choose one of " + String.join(", ", ids(values, id)));
    }

    /** Every id, in declaration order. */
    static <E> List<String> ids(E[] values, Function<E, String> id) {
        return Arrays.stream(values).map(id).toList();
    }
}
