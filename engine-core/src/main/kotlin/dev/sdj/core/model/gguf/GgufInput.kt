package dev.sdj.core.model.gguf

import java.io.EOFException
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel

/**
 * Little-endian reads from a file through a small buffer. Every read is checked against the file size taken when
 * parsing began, so a corrupt length can never make it read past the end or allocate more than the file holds; a
 * read the file is too short for goes to [truncated] instead.
 */
internal class GgufInput(
    private val channel: FileChannel,
    val size: Long,
    private val truncated: (needed: Long, at: Long) -> Nothing,
) {
    private val buffer: ByteBuffer = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN).limit(0)
    private var bufferStart = 0L

    val position: Long get() = bufferStart + buffer.position()
    val remaining: Long get() = size - position

    fun byte(): Byte = available(1).get()
    fun short(): Short = available(2).short
    fun int(): Int = available(4).int
    fun long(): Long = available(8).long
    fun float(): Float = available(4).float
    fun double(): Double = available(8).double

    /** [count] bytes; callers check [count] against [remaining] first so the message can name the length field. */
    fun bytes(count: Int): ByteArray {
        if (count > remaining) truncated(count.toLong(), position)
        val out = ByteArray(count)
        val fromBuffer = minOf(count, buffer.remaining())
        buffer.get(out, 0, fromBuffer)
        if (fromBuffer < count) {
            val start = position
            val rest = ByteBuffer.wrap(out, fromBuffer, count - fromBuffer)
            while (rest.hasRemaining()) {
                if (channel.read(rest, start + rest.position() - fromBuffer) < 0) throw shrank()
            }
            bufferStart = start + count - fromBuffer
            buffer.limit(0)
        }
        return out
    }

    private fun available(n: Int): ByteBuffer {
        if (buffer.remaining() < n) refill(n)
        return buffer
    }

    private fun refill(n: Int) {
        val start = position
        if (size - start < n) truncated(n.toLong(), start)
        buffer.compact()
        bufferStart = start
        buffer.limit(minOf(buffer.capacity().toLong(), size - start).toInt())
        while (buffer.position() < n) {
            if (channel.read(buffer, start + buffer.position()) < 0) throw shrank()
        }
        buffer.flip()
    }

    private fun shrank() = EOFException("the file became shorter while it was being read")

    private companion object {
        const val BUFFER_SIZE = 64 * 1024
    }
}
