package dev.sdj.core.image

import java.io.OutputStream
import java.util.zip.CRC32

/** Writes PNG chunks: big-endian length, four-letter type, data, then the CRC-32 of type and data. */
internal class PngChunks(private val out: OutputStream) {
    private val crc = CRC32()

    fun write(type: String, data: ByteArray, length: Int = data.size) {
        val typeBytes = type.toByteArray(Charsets.US_ASCII)
        check(typeBytes.size == 4) { "chunk type '$type' is not four letters" }
        writeInt(length)
        crc.reset()
        crc.update(typeBytes)
        crc.update(data, 0, length)
        out.write(typeBytes)
        out.write(data, 0, length)
        writeInt(crc.value.toInt())
    }

    fun signature() = out.write(SIGNATURE)

    private fun writeInt(v: Int) {
        out.write(v ushr 24)
        out.write(v ushr 16)
        out.write(v ushr 8)
        out.write(v)
    }

    companion object {
        val SIGNATURE = byteArrayOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte(), 13, 10, 26, 10)
    }
}

/**
 * Cuts the zlib stream into IDAT chunks of a fixed size, so that the chunk layout, like the rest of the file, depends
 * only on the image, and an image of any size streams through a small buffer.
 */
internal class IdatStream(private val chunks: PngChunks, size: Int = 256 * 1024) : OutputStream() {
    private val buffer = ByteArray(size)
    private var used = 0

    override fun write(b: Int) {
        buffer[used++] = b.toByte()
        if (used == buffer.size) emit()
    }

    override fun write(b: ByteArray, off: Int, len: Int) {
        var from = off
        var left = len
        while (left > 0) {
            val n = minOf(left, buffer.size - used)
            System.arraycopy(b, from, buffer, used, n)
            used += n
            from += n
            left -= n
            if (used == buffer.size) emit()
        }
    }

    /** Writes the last, partial chunk; the underlying stream stays open for IEND. */
    override fun close() {
        if (used > 0) emit()
    }

    private fun emit() {
        chunks.write("IDAT", buffer, used)
        used = 0
    }
}
