package dev.sdj.core.model.gguf

import dev.sdj.core.model.gguf.GgufValue.ArrayValue
import dev.sdj.core.model.gguf.GgufValue.BoolValue
import dev.sdj.core.model.gguf.GgufValue.FloatValue
import dev.sdj.core.model.gguf.GgufValue.IntValue
import dev.sdj.core.model.gguf.GgufValue.StringValue
import dev.sdj.core.model.gguf.GgufValueType.FLOAT32
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.CharBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction

/** Builds a GGUF header in memory, little-endian; the header is metadata only, so it stays small. */
internal class GgufOutput {
    private var buffer: ByteBuffer = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN)

    // A String holding an unpaired surrogate has no UTF-8 form; replacing it silently would change the value.
    private val encoder = Charsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)

    val size: Int get() = buffer.position()

    fun bytes(b: ByteArray) {
        room(b.size).put(b)
    }

    fun u32(v: Int) {
        room(4).putInt(v)
    }

    fun u64(v: Long) {
        room(8).putLong(v)
    }

    fun string(s: String) {
        val utf8 = try {
            encoder.encode(CharBuffer.wrap(s))
        } catch (e: CharacterCodingException) {
            throw IllegalArgumentException("string is not valid Unicode (unpaired surrogate): \"${s.take(40)}\"", e)
        }
        u64(utf8.remaining().toLong())
        room(utf8.remaining()).put(utf8)
    }

    /** A typed entry's value: the type number, then the payload. */
    fun typedValue(v: GgufValue) {
        u32(v.type.id)
        payload(v)
    }

    fun zeros(count: Int) {
        room(count).put(ByteArray(count))
    }

    /** The bytes written so far, ready to be read. */
    fun toBuffer(): ByteBuffer = buffer.duplicate().flip()

    private fun payload(v: GgufValue) {
        when (v) {
            is IntValue -> when (v.type.minSize) {
                1 -> room(1).put(v.value.toByte())
                2 -> room(2).putShort(v.value.toShort())
                4 -> u32(v.value.toInt())
                else -> u64(v.value)
            }
            is FloatValue -> if (v.type == FLOAT32) room(4).putFloat(v.value.toFloat()) else room(8).putDouble(v.value)
            is BoolValue -> room(1).put(if (v.value) 1 else 0)
            is StringValue -> string(v.value)
            is ArrayValue -> {
                u32(v.elementType.id)
                u64(v.items.size.toLong())
                v.items.forEach(::payload)
            }
        }
    }

    private fun room(n: Int): ByteBuffer {
        if (buffer.remaining() < n) {
            val grown = ByteBuffer.allocate(maxOf(buffer.capacity() * 2, buffer.position() + n)).order(ByteOrder.LITTLE_ENDIAN)
            grown.put(buffer.flip())
            buffer = grown
        }
        return buffer
    }
}
