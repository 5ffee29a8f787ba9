package dev.sdj.core.model
import java.nio.ByteBuffer
import java.nio.channels.WritableByteChannel
/** Bytes of one tensor, written on demand so that large files never sit in the heap. */
fun interface TensorData {
    fun writeTo(out: WritableByteChannel)
    companion object {
        /** The remaining bytes of [bytes] (its position is not changed). */
        fun of(bytes: ByteBuffer): TensorData = TensorData { out -> val b = bytes.duplicate(); while (b.hasRemaining()) out.write(b) }
    }
}
