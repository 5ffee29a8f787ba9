package dev.sdj.core.model.gguf

import java.io.ByteArrayOutputStream

/**
 * Builds GGUF bytes field by field, so tests can make files [GgufWriter] refuses to write. Remembers where each
 * version, count, length, dimension, type and offset field went, for the fuzz test's header edits.
 */
class RawGguf {
    private val out = ByteArrayOutputStream()

    /** Offset and width (4 or 8) of every header field a corrupt file could get wrong. */
    val fields = mutableListOf<Pair<Int, Int>>()
    val marks = mutableMapOf<String, Int>()
    val size: Int get() = out.size()

    fun raw(bytes: ByteArray) = apply { out.write(bytes) }
    fun u8(v: Int) = apply { out.write(v) }

    fun u32(v: Long, field: Boolean = false) = apply {
        if (field) fields += size to 4
        repeat(4) { out.write((v ushr (8 * it)).toInt()) }
    }

    fun u64(v: Long, field: Boolean = false) = apply {
        if (field) fields += size to 8
        repeat(8) { out.write((v ushr (8 * it)).toInt()) }
    }

    fun f32(v: Float) = u32(v.toRawBits().toLong())
    fun str(s: String) = strBytes(s.toByteArray())
    fun strBytes(b: ByteArray) = apply { u64(b.size.toLong(), field = true); raw(b) }

    fun header(tensors: Long, entries: Long, version: Long = 3) = apply {
        raw("GGUF".toByteArray())
        u32(version, field = true)
        u64(tensors, field = true)
        u64(entries, field = true)
    }

    /** A key and its value type; the value follows. */
    fun key(key: String, type: Int) = apply {
        marks["key:$key"] = size
        str(key)
        u32(type.toLong(), field = true)
    }

    fun arrayHeader(elementType: Int, count: Long) = apply {
        u32(elementType.toLong(), field = true)
        u64(count, field = true)
    }

    fun tensorInfo(t: Tensor) = apply {
        marks["tensor:${t.name}"] = size
        str(t.name)
        u32(t.shape.size.toLong(), field = true)
        t.shape.forEach { u64(it, field = true) }
        u32(t.type.toLong(), field = true)
        u64(t.offset, field = true)
    }

    fun padTo(alignment: Int) = apply { while (size % alignment != 0) out.write(0) }
    fun zeros(n: Int) = apply { repeat(n) { out.write(0) } }
    fun bytes(): ByteArray = out.toByteArray()

    data class Tensor(val name: String, val shape: List<Long>, val type: Int, val offset: Long)

    companion object {
        const val STRING = 8
        const val F32 = 0
        const val Q8_0 = 8

        val defaultEntries: List<RawGguf.() -> Unit> = listOf(
            { key("general.architecture", STRING).str("flux") },
            { key("general.name", STRING).str("tiny") },
        )

        /** 32 bytes of F32 at 0, then two Q8_0 blocks (68 bytes) at 32. */
        val defaultTensors = listOf(Tensor("a", listOf(8), F32, 0), Tensor("b", listOf(32, 2), Q8_0, 32))

        /** A whole file: header, [entries], tensor infos, padding to [alignment], then [dataBytes] bytes of data. */
        fun file(
            entries: List<RawGguf.() -> Unit> = defaultEntries,
            tensors: List<Tensor> = defaultTensors,
            dataBytes: Int = 100,
            alignment: Int = 32,
            tensorCount: Long = tensors.size.toLong(),
            entryCount: Long = entries.size.toLong(),
            version: Long = 3,
        ): RawGguf = RawGguf().apply {
            header(tensorCount, entryCount, version)
            entries.forEach { it() }
            tensors.forEach { tensorInfo(it) }
            padTo(alignment)
            marks["data"] = size
            zeros(dataBytes)
        }
    }
}
