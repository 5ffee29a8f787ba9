package dev.sdj.core.model.gguf

import dev.sdj.core.model.gguf.GgufValueType.ARRAY
import dev.sdj.core.model.gguf.GgufValueType.BOOL
import dev.sdj.core.model.gguf.GgufValueType.FLOAT32
import dev.sdj.core.model.gguf.GgufValueType.FLOAT64
import dev.sdj.core.model.gguf.GgufValueType.INT16
import dev.sdj.core.model.gguf.GgufValueType.INT32
import dev.sdj.core.model.gguf.GgufValueType.INT64
import dev.sdj.core.model.gguf.GgufValueType.INT8
import dev.sdj.core.model.gguf.GgufValueType.STRING
import dev.sdj.core.model.gguf.GgufValueType.UINT16
import dev.sdj.core.model.gguf.GgufValueType.UINT32
import dev.sdj.core.model.gguf.GgufValueType.UINT64
import dev.sdj.core.model.gguf.GgufValueType.UINT8

/**
 * A GGUF metadata value with its exact stored type, so a value read and written again keeps its type (a UINT8 stays
 * a UINT8, not an INT32). The `as…` accessors answer null when the value is of another kind, so callers can turn a
 * mistyped key into an error that names it.
 */
sealed interface GgufValue {
    val type: GgufValueType

    /** The text of a STRING. */
    fun asString(): String? = (this as? StringValue)?.value

    /** Any integer type's value; null also for a UINT64 above [Long.MAX_VALUE]. */
    fun asLong(): Long? = (this as? IntValue)?.takeUnless { it.type == UINT64 && it.value < 0 }?.value

    /** A float's value, or an integer's converted to a double. */
    fun asDouble(): Double? = when (this) {
        is FloatValue -> value
        is IntValue -> if (type == UINT64) value.toULong().toDouble() else value.toDouble()
        else -> null
    }

    fun asBoolean(): Boolean? = (this as? BoolValue)?.value

    /** The texts of an array of STRING. */
    fun asStringList(): List<String>? =
        (this as? ArrayValue)?.takeIf { it.elementType == STRING }?.items?.map { (it as StringValue).value }

    /** Any integer type; [value] is the number itself, except for UINT64, where it is the unsigned 64-bit pattern. */
    data class IntValue(override val type: GgufValueType, val value: Long) : GgufValue {
        init {
            val range = requireNotNull(type.range) { "$type is not an integer type" }
            require(value in range) { "$value is out of range for $type" }
        }
    }

    /** FLOAT32 or FLOAT64; a FLOAT32 is held widened, which is exact. */
    data class FloatValue(override val type: GgufValueType, val value: Double) : GgufValue {
        init {
            require(type == FLOAT32 || type == FLOAT64) { "$type is not a float type" }
            require(type == FLOAT64 || value.isNaN() || value.toFloat().toDouble() == value) { "$value is not exactly a FLOAT32" }
        }
    }

    data class BoolValue(val value: Boolean) : GgufValue {
        override val type: GgufValueType get() = BOOL
    }

    data class StringValue(val value: String) : GgufValue {
        override val type: GgufValueType get() = STRING
    }

    /** Elements all of [elementType]; an array of ARRAY holds arrays, each with its own element type. */
    data class ArrayValue(val elementType: GgufValueType, val items: List<GgufValue>) : GgufValue {
        override val type: GgufValueType get() = ARRAY

        init {
            require(items.all { it.type == elementType }) { "every element of an array of $elementType must be a $elementType" }
        }
    }

    companion object {
        fun uint8(value: Int): GgufValue = IntValue(UINT8, value.toLong())
        fun int8(value: Int): GgufValue = IntValue(INT8, value.toLong())
        fun uint16(value: Int): GgufValue = IntValue(UINT16, value.toLong())
        fun int16(value: Int): GgufValue = IntValue(INT16, value.toLong())
        fun uint32(value: Long): GgufValue = IntValue(UINT32, value)
        fun int32(value: Int): GgufValue = IntValue(INT32, value.toLong())

        /** [bits] is the unsigned value's 64-bit pattern. */
        fun uint64(bits: Long): GgufValue = IntValue(UINT64, bits)
        fun int64(value: Long): GgufValue = IntValue(INT64, value)
        fun float32(value: Float): GgufValue = FloatValue(FLOAT32, value.toDouble())
        fun float64(value: Double): GgufValue = FloatValue(FLOAT64, value)
        fun bool(value: Boolean): GgufValue = BoolValue(value)
        fun string(value: String): GgufValue = StringValue(value)
        fun array(elementType: GgufValueType, items: List<GgufValue>): GgufValue = ArrayValue(elementType, items.toList())
        fun stringArray(items: List<String>): GgufValue = ArrayValue(STRING, items.map(::StringValue))
        fun int32Array(items: IntArray): GgufValue = ArrayValue(INT32, items.map { IntValue(INT32, it.toLong()) })
        fun float32Array(items: FloatArray): GgufValue = ArrayValue(FLOAT32, items.map { FloatValue(FLOAT32, it.toDouble()) })
    }
}
