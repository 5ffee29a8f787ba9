package dev.sdj.core.model

import dev.sdj.ggml.GgmlType

/**
 * How a tensor's elements are stored in a model file: every ggml type (GGUF stores those as they are) plus the
 * safetensors types ggml has no type for. Block and byte sizes are ggml's (checked against the loaded library by a
 * test), so files can be parsed and validated without loading any native code.
 *
 * @param ggml the ggml type holding the same bytes, or null when the data must be converted before upload
 * @param blockSize elements per block (1 for plain types)
 * @param blockBytes bytes per block
 */
enum class DType(val ggml: GgmlType?, val blockSize: Int, val blockBytes: Int, val safetensorsName: String? = null) {
    F64(GgmlType.F64, 1, 8, "F64"),
    F32(GgmlType.F32, 1, 4, "F32"),
    F16(GgmlType.F16, 1, 2, "F16"),
    BF16(GgmlType.BF16, 1, 2, "BF16"),
    I64(GgmlType.I64, 1, 8, "I64"),
    I32(GgmlType.I32, 1, 4, "I32"),
    I16(GgmlType.I16, 1, 2, "I16"),
    I8(GgmlType.I8, 1, 1, "I8"),
    F8_E4M3(null, 1, 1, "F8_E4M3"),
    F8_E5M2(null, 1, 1, "F8_E5M2"),
    U8(null, 1, 1, "U8"),
    BOOL(null, 1, 1, "BOOL"),
    U16(null, 1, 2, "U16"),
    U32(null, 1, 4, "U32"),
    U64(null, 1, 8, "U64"),
    Q4_0(GgmlType.Q4_0, 32, 18),
    Q4_1(GgmlType.Q4_1, 32, 20),
    Q5_0(GgmlType.Q5_0, 32, 22),
    Q5_1(GgmlType.Q5_1, 32, 24),
    Q8_0(GgmlType.Q8_0, 32, 34),
    Q8_1(GgmlType.Q8_1, 32, 36),
    Q2_K(GgmlType.Q2_K, 256, 84),
    Q3_K(GgmlType.Q3_K, 256, 110),
    Q4_K(GgmlType.Q4_K, 256, 144),
    Q5_K(GgmlType.Q5_K, 256, 176),
    Q6_K(GgmlType.Q6_K, 256, 210),
    Q8_K(GgmlType.Q8_K, 256, 292),
    IQ2_XXS(GgmlType.IQ2_XXS, 256, 66),
    IQ2_XS(GgmlType.IQ2_XS, 256, 74),
    IQ3_XXS(GgmlType.IQ3_XXS, 256, 98),
    IQ1_S(GgmlType.IQ1_S, 256, 50),
    IQ4_NL(GgmlType.IQ4_NL, 32, 18),
    IQ3_S(GgmlType.IQ3_S, 256, 110),
    IQ2_S(GgmlType.IQ2_S, 256, 82),
    IQ4_XS(GgmlType.IQ4_XS, 256, 136),
    IQ1_M(GgmlType.IQ1_M, 256, 56),
    TQ1_0(GgmlType.TQ1_0, 256, 54),
    TQ2_0(GgmlType.TQ2_0, 256, 66),
    MXFP4(GgmlType.MXFP4, 32, 17),
    NVFP4(GgmlType.NVFP4, 64, 36),
    Q1_0(GgmlType.Q1_0, 128, 18),
    Q2_0(GgmlType.Q2_0, 64, 18);

    val isQuantized: Boolean get() = blockSize > 1

    /** A plain floating-point type (not quantized, not integer). */
    val isFloat: Boolean get() = this == F64 || this == F32 || this == F16 || this == BF16 || this == F8_E4M3 || this == F8_E5M2

    /**
     * Bytes of a tensor of this type with shape [shape] (ggml order, dimension 0 first), or null when dimension 0 is
     * not a whole number of blocks or the size overflows.
     */
    fun byteSize(shape: List<Long>): Long? {
        if (shape.any { it < 0 }) return null
        if (shape.isNotEmpty() && shape[0] % blockSize != 0L) return null
        return try {
            var elements = 1L
            for (n in shape) elements = Math.multiplyExact(elements, n)
            Math.multiplyExact(elements / blockSize, blockBytes.toLong())
        } catch (e: ArithmeticException) {
            null
        }
    }

    companion object {
        private val byGgml = entries.filter { it.ggml != null }.associateBy { it.ggml!!.value }
        private val bySafetensors = entries.filter { it.safetensorsName != null }.associateBy { it.safetensorsName!! }

        /** The type stored under ggml type number [value] (GGUF), or null for unknown numbers. */
        fun ofGgml(value: Int): DType? = byGgml[value]

        /** The type a safetensors header names (e.g. "BF16"), or null when unknown. */
        fun ofSafetensors(name: String): DType? = bySafetensors[name]
    }
}
