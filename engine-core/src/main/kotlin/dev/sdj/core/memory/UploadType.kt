package dev.sdj.core.memory

import dev.sdj.core.model.DType
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import java.util.concurrent.ConcurrentHashMap

/**
 * The ggml type a file's tensor is stored in on a device. Types ggml has are kept as they are, except bf16 on a
 * device whose matrix multiply does not take bf16 (widened to f32, exactly); f8 becomes f16 (every e4m3 and e5m2
 * value is exactly an f16); f64 becomes f32 (ggml's kernels do not take f64). Vectors are f32 whatever their
 * storage ([vectorType]).
 */
object UploadType {
    private val bf16Support = ConcurrentHashMap<String, Boolean>()

    /**
     * Vectors (biases, normalisation scales) are kept in f32: ggml's element-wise kernels take f32 operands, and
     * vectors are a negligible share of any model's bytes.
     */
    val vectorType: GgmlType = GgmlType.F32

    /** The device type for [source], or null when such data cannot be used as a parameter at all. */
    fun of(source: DType, bf16Supported: Boolean): GgmlType? = when (source) {
        DType.BF16 -> if (bf16Supported) GgmlType.BF16 else GgmlType.F32
        DType.F8_E4M3, DType.F8_E5M2 -> GgmlType.F16
        DType.F64 -> GgmlType.F32
        else -> source.ggml
    }

    /** Whether [device] multiplies bf16 weights, asked of ggml once per device. */
    fun bf16Supported(ggml: Ggml, device: Device): Boolean = bf16Support.computeIfAbsent(device.name()) {
        ggml.newContext(3).use { ctx ->
            val w = ctx.newTensor(GgmlType.BF16, 64, 64)
            val x = ctx.newTensor(GgmlType.F32, 64, 1)
            device.supports(ctx.mulMat(w, x))
        }
    }
}
