package dev.sdj.core.memory

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.DType
import dev.sdj.ggml.Ggml

/**
 * The type weights are quantized to while loading (sd.cpp's `--type`): a quantized type ggml writes without an
 * importance matrix (iq2_xxs, iq2_xs and iq1_s need one, which a plain load has not got).
 */
object RequestedWeightType {
    /** Stored types quantized on request: the float types checkpoints ship in. */
    val QUANTIZABLE_SOURCES = setOf(DType.F32, DType.F16, DType.BF16)

    /** The type named [name] as ggml names it (e.g. "q8_0", "q4_K"), or an [InvalidRequestException] listing the valid ones. */
    fun parse(name: String): DType {
        val valid = valid()
        return valid.firstOrNull { it.ggml!!.ggmlName() == name }
            ?: throw InvalidRequestException("cannot quantize weights to '$name' while loading; one of: " +
                valid.joinToString(", ") { it.ggml!!.ggmlName() })
    }

    /** The quantized types [parse] accepts. */
    fun valid(): List<DType> {
        val quantization = Ggml.get().quantization()
        return DType.entries.filter { t ->
            t.isQuantized && quantization.canQuantize(t.ggml!!) && !quantization.requiresImportance(t.ggml!!)
        }
    }
}
