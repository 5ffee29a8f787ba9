package dev.sdj.core.family.t5

import dev.sdj.core.family.t5.T5Vocabulary.Companion.fail
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

/**
 * Reads SentencePiece's spiece.model, a serialized `ModelProto`, with a minimal protobuf reader rather than a
 * protobuf dependency. Used fields: ModelProto.pieces (1) holding SentencePiece {piece (1), score (2, float),
 * type (3, NORMAL when absent)}, and ModelProto.normalizer_spec (3) holding precompiled_charsmap (2). Everything
 * else is skipped by wire type. The unknown id is the piece of type UNKNOWN; `</s>` and `<pad>` are found by name.
 */
internal object SentencePieceModel {
    /** T5's file is 792 kB; the bound turns a wrong file into an error, not an OutOfMemoryError. */
    private const val MAX_BYTES: Long = 64L shl 20

    fun read(file: Path): T5Vocabulary {
        val bytes = try {
            val size = Files.size(file)
            if (size > MAX_BYTES) fail(file, "is $size bytes, more than the ${MAX_BYTES shr 20} MiB any spiece.model needs")
            Files.readAllBytes(file)
        } catch (e: IOException) {
            fail(file, "cannot be read (${e.javaClass.simpleName}: ${e.message})")
        }
        val pieces = ArrayList<String>()
        val scores = ArrayList<Double>()
        val types = ArrayList<Int>()
        var charsmap: PrecompiledCharsmap? = null
        try {
            ProtoReader(bytes).forEachField { field, reader ->
                when (field) {
                    1 -> readPiece(reader.message()) { piece, score, type ->
                        pieces.add(piece)
                        scores.add(score)
                        types.add(type)
                    }
                    3 -> reader.message().forEachField { inner, spec ->
                        if (inner == 2) {
                            charsmap = PrecompiledCharsmap.parse(spec.bytes())
                                ?: fail(file, "normalizer_spec.precompiled_charsmap is malformed")
                        } else {
                            spec.skip()
                        }
                    }
                    else -> reader.skip()
                }
            }
        } catch (e: ProtoReader.Malformed) {
            fail(file, "is not a SentencePiece model: ${e.message}")
        }
        val unk = types.indexOf(T5Vocabulary.TYPE_UNKNOWN).takeIf { it >= 0 }
        return T5Vocabulary.of(pieces, scores, types, emptySet(), charsmap, unk, null, null, file)
    }

    private fun readPiece(reader: ProtoReader, take: (String, Double, Int) -> Unit) {
        var piece = ""
        var score = 0.0
        var type = T5Vocabulary.TYPE_NORMAL
        reader.forEachField { field, r ->
            when (field) {
                1 -> piece = String(r.bytes(), Charsets.UTF_8)
                2 -> score = r.float().toDouble()
                3 -> type = r.varint().toInt()
                else -> r.skip()
            }
        }
        take(piece, score, type)
    }
}

/**
 * The protobuf wire format, just enough to walk messages: varints, 32-bit floats, length-delimited bytes, and
 * skipping anything else. Each read checks bounds and throws [Malformed] instead of running past the buffer.
 */
internal class ProtoReader(private val buffer: ByteArray, private var position: Int = 0, private val end: Int = buffer.size) {
    class Malformed(message: String) : Exception(message)

    private var wireType = -1

    /** Calls [action] with each field number; [action] must consume the value with exactly one read or [skip]. */
    fun forEachField(action: (field: Int, reader: ProtoReader) -> Unit) {
        while (position < end) {
            val key = rawVarint()
            wireType = (key and 7).toInt()
            val field = (key ushr 3).toInt()
            if (field <= 0) throw Malformed("field number $field at byte $position")
            action(field, this)
        }
    }

    fun varint(): Long {
        expect(VARINT)
        return rawVarint()
    }

    private fun rawVarint(): Long {
        var result = 0L
        var shift = 0
        while (shift < 64) {
            if (position >= end) throw Malformed("a varint runs past the end")
            val b = buffer[position++].toInt()
            result = result or ((b and 0x7F).toLong() shl shift)
            if (b and 0x80 == 0) return result
            shift += 7
        }
        throw Malformed("a varint is longer than 10 bytes")
    }

    fun float(): Float {
        expect(FIXED32)
        val bits = (0 until 4).fold(0) { acc, i -> acc or ((buffer[position + i].toInt() and 0xFF) shl (8 * i)) }
        position += 4
        return Float.fromBits(bits)
    }

    fun bytes(): ByteArray {
        val length = lengthPrefix()
        return buffer.copyOfRange(position, position + length).also { position += length }
    }

    fun message(): ProtoReader {
        val length = lengthPrefix()
        return ProtoReader(buffer, position, position + length).also { position += length }
    }

    fun skip() {
        when (wireType) {
            VARINT -> rawVarint()
            FIXED64 -> advance(8)
            LENGTH -> advance(lengthPrefix())
            FIXED32 -> advance(4)
            else -> throw Malformed("unsupported wire type $wireType at byte $position")
        }
    }

    private fun lengthPrefix(): Int {
        if (wireType != LENGTH) throw Malformed("wire type $wireType where a length-delimited field was expected")
        val length = rawVarint()
        if (length < 0 || length > end - position) throw Malformed("a field of $length bytes runs past the end")
        return length.toInt()
    }

    private fun expect(type: Int) {
        if (wireType != type) throw Malformed("wire type $wireType where $type was expected")
        if (type == FIXED32 && end - position < 4) throw Malformed("a 32-bit field runs past the end")
    }

    private fun advance(count: Int) {
        if (count > end - position) throw Malformed("a field runs past the end")
        position += count
    }

    private companion object {
        const val VARINT = 0
        const val FIXED64 = 1
        const val LENGTH = 2
        const val FIXED32 = 5
    }
}
