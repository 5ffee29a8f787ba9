package dev.sdj.core.model.gguf

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.gguf.GgufValue.ArrayValue
import dev.sdj.core.model.gguf.GgufValue.BoolValue
import dev.sdj.core.model.gguf.GgufValue.FloatValue
import dev.sdj.core.model.gguf.GgufValue.IntValue
import dev.sdj.core.model.gguf.GgufValue.StringValue
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
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction
import java.nio.file.Path

/** What a GGUF header says, before the tensor table is validated against the file. */
internal class GgufHeader(
    val version: Int,
    val alignment: Long,
    val dataStart: Long,
    val fileSize: Long,
    val values: Map<String, GgufValue>,
    val tensors: List<TensorInfo>,
)

/**
 * Parses a GGUF header. Every count and length is checked against the bytes left in the file before anything is
 * allocated for it, so a corrupt header fails with a [ModelFileException] naming the part at fault rather than
 * exhausting memory.
 */
internal class GgufParser private constructor(private val path: Path, channel: FileChannel) {
    private val input = GgufInput(channel, channel.size()) { needed, at -> truncated(needed, at) }
    private val decoder = Charsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)

    /** Where parsing is, for messages: "the header", "key 'x'", "tensor info #3". */
    private var part = HEADER
    private var tensor: String? = null
    private var arrayElements = 0L

    private fun parse(): GgufHeader {
        val version = readPreamble()
        val tensorCount = input.long()
        val entryCount = input.long()
        checkCount(tensorCount, "tensors", GgufFormat.MIN_TENSOR_INFO_SIZE, input.remaining, MAX_TENSORS)
        val afterTensorInfos = input.remaining - tensorCount * GgufFormat.MIN_TENSOR_INFO_SIZE
        checkCount(entryCount, "metadata entries", GgufFormat.MIN_ENTRY_SIZE, afterTensorInfos, Long.MAX_VALUE)

        val values = LinkedHashMap<String, GgufValue>()
        for (i in 0 until entryCount) readEntry(i, values)
        val alignment = alignment(values)

        val raw = (0 until tensorCount).map { readTensorInfo(it) }
        val dataStart = GgufFormat.alignUp(input.position, alignment)
        val tensors = raw.map { it.placed(dataStart) }
        return GgufHeader(version, alignment, dataStart, input.size, values, tensors)
    }

    private fun readPreamble(): Int {
        val magic = input.bytes(minOf(GgufFormat.MAGIC.size.toLong(), input.remaining).toInt())
        if (!magic.contentEquals(GgufFormat.MAGIC.copyOf(magic.size))) {
            fail("not a GGUF file: it starts with ${describe(magic)}, not \"GGUF\"")
        }
        if (magic.size < GgufFormat.MAGIC.size) truncated(GgufFormat.MAGIC.size.toLong(), 0)
        val version = input.int()
        return when {
            version == 2 || version == 3 -> version
            version == 1 -> fail("GGUF version 1 is not supported (it uses 32-bit counts); convert the file with a current GGUF tool")
            Integer.reverseBytes(version) in 1..3 -> fail("big-endian GGUF is not supported; convert the file to little-endian")
            else -> fail("unsupported GGUF version ${version.toUInt()} (supported: 2 and 3)")
        }
    }

    private fun readEntry(index: Long, values: MutableMap<String, GgufValue>) {
        part = "metadata entry #$index"
        val key = readString()
        part = "key '$key'"
        if (key in values) fail("the key appears more than once")
        values[key] = readValue(readType(), 0)
    }

    private fun alignment(values: Map<String, GgufValue>): Long {
        val value = values[GgufFormat.ALIGNMENT_KEY] ?: return GgufFormat.DEFAULT_ALIGNMENT
        part = "key '${GgufFormat.ALIGNMENT_KEY}'"
        return GgufFormat.alignmentOf(value)
            ?: fail("alignment must be a UINT32 power of two greater than 0, the file gives ${describe(value)}")
    }

    private fun readType(): GgufValueType {
        val id = input.int()
        return GgufValueType.ofId(id) ?: fail("unknown metadata value type ${id.toUInt()} (GGUF defines 0 to 12)")
    }

    private fun readValue(type: GgufValueType, depth: Int): GgufValue = when (type) {
        UINT8 -> IntValue(type, input.byte().toLong() and 0xFF)
        INT8 -> IntValue(type, input.byte().toLong())
        UINT16 -> IntValue(type, input.short().toLong() and 0xFFFF)
        INT16 -> IntValue(type, input.short().toLong())
        UINT32 -> IntValue(type, input.int().toLong() and 0xFFFF_FFFFL)
        INT32 -> IntValue(type, input.int().toLong())
        UINT64, INT64 -> IntValue(type, input.long())
        FLOAT32 -> FloatValue(type, input.float().toDouble())
        FLOAT64 -> FloatValue(type, input.double())
        BOOL -> when (val b = input.byte().toInt()) {
            0 -> BoolValue(false)
            1 -> BoolValue(true)
            else -> fail("boolean value is ${b and 0xFF}, must be 0 or 1")
        }
        STRING -> StringValue(readString())
        ARRAY -> readArray(depth + 1)
    }

    private fun readArray(depth: Int): ArrayValue {
        if (depth > MAX_ARRAY_DEPTH) fail("arrays are nested more than $MAX_ARRAY_DEPTH deep")
        val elementType = readType()
        val count = input.long()
        checkCount(count, "array elements of type $elementType", elementType.minSize, input.remaining, MAX_ARRAY_ELEMENTS - arrayElements)
        arrayElements += count
        val items = ArrayList<GgufValue>(count.toInt())
        repeat(count.toInt()) { items += readValue(elementType, depth) }
        return ArrayValue(elementType, items)
    }

    private fun readString(): String {
        val at = input.position
        val length = input.long()
        if (length < 0 || length > input.remaining) {
            fail("string length ${length.toULong()} at offset $at runs past the end of the file (${input.size} bytes); the file is truncated or corrupt")
        }
        if (length > MAX_STRING_BYTES) fail("string length $length at offset $at is larger than any string this reader accepts")
        val bytes = input.bytes(length.toInt())
        return try {
            decoder.decode(ByteBuffer.wrap(bytes)).toString()
        } catch (e: CharacterCodingException) {
            fail("the string at offset $at is not valid UTF-8")
        }
    }

    private fun readTensorInfo(index: Long): RawTensor {
        part = "tensor info #$index"
        tensor = null
        val name = readString()
        // The exception names the tensor; the part need not repeat it.
        part = "its tensor info"
        tensor = name
        val dims = input.int()
        if (dims < 1 || dims > GgufFormat.MAX_DIMS) fail("the tensor has ${dims.toUInt()} dimensions; GGUF allows 1 to ${GgufFormat.MAX_DIMS}")
        val shape = List(dims) { d ->
            input.long().also { if (it < 0) fail("dimension $d is ${it.toULong()}, too large for any file") }
        }
        val typeId = input.int()
        val type = DType.ofGgml(typeId)
            ?: fail("unknown ggml type number ${typeId.toUInt()}; the file needs a ggml type this version of sdj does not know")
        val offset = input.long()
        if (offset < 0 || offset > input.size) {
            fail("data offset ${offset.toULong()} (from the data section) is past the end of the file (${input.size} bytes)")
        }
        return RawTensor(name, type, shape, offset)
    }

    private class RawTensor(val name: String, val type: DType, val shape: List<Long>, val relativeOffset: Long) {
        // An impossible shape gets size -1: TensorTable.validate rejects it with the shape in the message.
        fun placed(dataStart: Long) = TensorInfo(name, type, shape, dataStart + relativeOffset, type.byteSize(shape) ?: -1)
    }

    /** Rejects a count the rest of the file cannot hold even at [minSize] bytes each, or beyond [limit]. */
    private fun checkCount(count: Long, what: String, minSize: Int, bytesLeft: Long, limit: Long) {
        val fits = bytesLeft / minSize
        if (count < 0 || count > fits) {
            fail("the file claims ${count.toULong()} $what, but the $bytesLeft bytes left can hold at most $fits; the file is truncated or corrupt")
        }
        if (count > limit) fail("the file claims $count $what, more than this reader accepts (a corrupt file?)")
    }

    private fun truncated(needed: Long, at: Long): Nothing =
        throw ModelFileException(path, tensor, "the file is truncated in $part: needs $needed bytes at offset $at, the file has ${input.size} bytes")

    private fun fail(reason: String): Nothing =
        throw ModelFileException(path, tensor, if (tensor == null && part != HEADER) "$part: $reason" else reason)

    private fun describe(value: GgufValue): String = when (value) {
        is IntValue -> "${value.type} ${if (value.type == UINT64) value.value.toULong() else value.value}"
        is FloatValue -> "${value.type} ${value.value}"
        else -> value.type.toString()
    }

    private fun describe(bytes: ByteArray): String {
        val hex = bytes.joinToString(" ") { "%02x".format(it) }
        val text = bytes.map { b -> if (b in 0x20..0x7e) b.toInt().toChar() else '.' }.joinToString("")
        return "$hex (\"$text\")"
    }

    companion object {
        private const val HEADER = "the header"
        private const val MAX_ARRAY_DEPTH = 8

        /** Far beyond any real model (the largest tokenizers hold a few hundred thousand entries per array). */
        private const val MAX_ARRAY_ELEMENTS = 1L shl 24
        private const val MAX_TENSORS = 1L shl 20
        private const val MAX_STRING_BYTES = Int.MAX_VALUE - 8L

        fun parse(path: Path, channel: FileChannel): GgufHeader = GgufParser(path, channel).parse()
    }
}
