package dev.sdj.ggml;

import java.util.Locale;
import java.util.Optional;

/**
 * ggml tensor types with their numeric values in {@code enum ggml_type}; gaps are types ggml removed. A test checks
 * every value against the loaded library's {@code ggml_type_name}, so a renumbering upstream fails loudly.
 */
public enum GgmlType {
    F32(0), F16(1), Q4_0(2), Q4_1(3), Q5_0(6), Q5_1(7), Q8_0(8), Q8_1(9),
    Q2_K(10), Q3_K(11), Q4_K(12), Q5_K(13), Q6_K(14), Q8_K(15),
    IQ2_XXS(16), IQ2_XS(17), IQ3_XXS(18), IQ1_S(19), IQ4_NL(20), IQ3_S(21), IQ2_S(22), IQ4_XS(23),
    I8(24), I16(25), I32(26), I64(27), F64(28), IQ1_M(29), BF16(30), TQ1_0(34), TQ2_0(35), MXFP4(39), NVFP4(40), Q1_0(41), Q2_0(42);

    public final int value;

    GgmlType(int value) {
        this.value = value;
    }

    /** The name ggml uses ({@code ggml_type_name}): lower case, e.g. {@code q4_K}. */
    public String ggmlName() {
        String n = name().toLowerCase(Locale.ROOT);
        return n.endsWith("_k") ? n.substring(0, n.length() - 2) + "_K" : n;
    }

    public static Optional<GgmlType> ofValue(int value) {
        for (GgmlType t : values()) {
            if (t.value == value) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
