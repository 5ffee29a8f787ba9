package dev.sdj.core.video

import java.nio.ByteBuffer
import java.nio.channels.WritableByteChannel

/**
 * A growing byte array written in little-endian order, with sizes patched in afterwards: how RIFF containers (AVI,
 * WebP) are laid out, each chunk's length before its data.
 */
internal class LittleEndianBuffer(initialCapacity: Int = 1 shl 16) {
    private var bytes = ByteArray(initialCapacity)

    var size = 0
        private set

    fun fourcc(code: String) {
        require(code.length == 4 && code.all { it.code in 0x20..0x7E }) { "a FourCC is four printable ASCII characters, got '$code'" }
        for (ch in code) u8(ch.code)
    }

    fun u8(v: Int) {
        ensure(1)
        bytes[size++] = v.toByte()
    }

    fun u16(v: Int) {
        u8(v)
        u8(v ushr 8)
    }

    fun u24(v: Int) {
        u16(v)
        u8(v ushr 16)
    }

    fun u32(v: Int) {
        u16(v)
        u16(v ushr 16)
    }

    fun bytes(data: ByteArray, from: Int = 0, length: Int = data.size - from) {
        ensure(length)
        System.arraycopy(data, from, bytes, size, length)
        size += length
    }

    /** Overwrites the 32-bit value at [at], e.g. a chunk length known only once its data is written. */
    fun patchU32(at: Int, v: Int) {
        require(at >= 0 && at + 4 <= size) { "patch at $at is outside the $size bytes written" }
        for (i in 0 until 4) bytes[at + i] = (v ushr (8 * i)).toByte()
    }

    /**
     * Starts a RIFF chunk (or a LIST/RIFF list when [listType] is given) whose length is filled in by [endChunk];
     * returns where the length goes.
     */
    fun beginChunk(id: String, listType: String? = null): Int {
        fourcc(id)
        val lengthAt = size
        u32(0)
        listType?.let { fourcc(it) }
        return lengthAt
    }

    /** Fills in the length of the chunk begun at [lengthAt] and pads its data to an even size, as RIFF requires. */
    fun endChunk(lengthAt: Int) {
        val length = size - lengthAt - 4
        patchU32(lengthAt, length)
        if (length % 2 != 0) u8(0)
    }

    fun toByteArray(): ByteArray = bytes.copyOf(size)

    fun writeTo(channel: WritableByteChannel) {
        val buffer = ByteBuffer.wrap(bytes, 0, size)
        while (buffer.hasRemaining()) channel.write(buffer)
    }

    private fun ensure(extra: Int) {
        val needed = size.toLong() + extra
        check(needed <= Int.MAX_VALUE - 8) { "a RIFF file is limited to 2 GiB here, and this one would be larger" }
        if (needed > bytes.size) bytes = bytes.copyOf(maxOf(needed, bytes.size.toLong() * 2).coerceAtMost(Int.MAX_VALUE - 8L).toInt())
    }
}
