package dev.sdj.core.model.convert

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.memory.RequestedWeightType
import dev.sdj.core.model.DType
import dev.sdj.core.model.SdCppTypeRule
import java.util.regex.Pattern

/**
 * The type each tensor of a converted file is stored in: [target] where stable-diffusion.cpp's rule ([SdCppTypeRule])
 * would convert the tensor and no [keep] pattern matches its name; otherwise its stored type, or f16 where GGUF has no
 * such type (fp8). Integer tensors are never converted: they are indices, not weights.
 */
class ConvertedTypes(val target: DType, private val keep: List<Pattern> = emptyList()) {

    /** The type of the tensor [name] (its name in the converted file) of [ggmlShape], stored as [stored]. */
    fun typeFor(name: String, ggmlShape: List<Long>, stored: DType): DType {
        val kept = if (stored.ggml != null) stored else DType.F16
        val weights = stored.isFloat || stored.isQuantized
        if (!weights || keep.any { it.matcher(name).find() }) return kept
        return if (SdCppTypeRule.converts(name, ggmlShape, target)) target else kept
    }

    companion object {
        private val PLAIN = listOf(DType.F32, DType.F16, DType.BF16)

        /**
         * The type [name] spells as ggml does ("q8_0", "q4_K", "f16"): a plain float type or one ggml quantizes
         * without an importance matrix; anything else is an [InvalidRequestException] listing the valid names.
         */
        fun parse(name: String): DType = PLAIN.firstOrNull { it.ggml!!.ggmlName() == name }
            ?: try {
                RequestedWeightType.parse(name)
            } catch (e: InvalidRequestException) {
                throw InvalidRequestException("cannot convert to '$name'; one of: " +
                    (PLAIN + RequestedWeightType.valid()).joinToString(", ") { it.ggml!!.ggmlName() })
            }
    }
}
