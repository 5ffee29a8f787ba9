package dev.sdj.core.memory

import dev.sdj.core.model.DType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType

/**
 * The ggml type a file's tensor is stored in on a device: the first of its [candidates] that every op reading it
 * takes there ([TypeSupport]). A type is kept as it is where the ops take it; otherwise bf16 widens to f32 (exact),
 * quantized types are dequantized by ggml's own dequantizer to f16 (matrices, kernels, tables) or f32, f8 becomes f16
 * (every e4m3 and e5m2 value is exactly an f16), f64 becomes f32. Vectors are f32 whatever their storage: ggml's
 * element-wise kernels take f32 operands, and vectors are a negligible share of any model's bytes.
 */
object UploadType {

    /**
     * The device types [source] can become for [use], best first; empty when such data cannot be a parameter at all.
     * Integer types are kept as they are: no SD-family graph reads them as weights.
     */
    fun candidates(source: DType, use: WeightUse): List<GgmlType> {
        val dequantizable = source.isQuantized && Ggml.get().quantization().canDequantize(source.ggml!!)
        if (use == WeightUse.VECTOR && (source.isFloat || dequantizable)) return listOf(GgmlType.F32)
        return when {
            source == DType.BF16 -> listOf(GgmlType.BF16, GgmlType.F32)
            source == DType.F16 -> listOf(GgmlType.F16, GgmlType.F32)
            source == DType.F32 || source == DType.F64 -> listOf(GgmlType.F32)
            source == DType.F8_E4M3 || source == DType.F8_E5M2 -> listOf(GgmlType.F16, GgmlType.F32)
            dequantizable -> listOf(source.ggml!!, GgmlType.F16, GgmlType.F32)
            source.isQuantized -> listOf(source.ggml!!)
            else -> listOfNotNull(source.ggml)
        }
    }

    /** The type [source] is stored in on a device with [support], or null when no op path there takes it. */
    fun of(source: DType, use: WeightUse, shape: List<Long>, support: TypeSupport): GgmlType? {
        val all = candidates(source, use)
        if (!source.isFloat && !source.isQuantized) return all.firstOrNull()
        return all.firstOrNull { support.accepts(use, it, shape) }
    }
}
