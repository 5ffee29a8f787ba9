package dev.sdj.core.model

import java.nio.ByteBuffer
import java.nio.channels.WritableByteChannel

/** A tensor's bytes, produced when a file writer reaches them, so data larger than the heap can be streamed. */
fun interface TensorData {
    fun writeTo(out: WritableByteChannel)

    companion object {
        /** The bytes between [bytes]' position and limit; [bytes] itself is left untouched, so the data can be written again. */
        fun of(bytes: ByteBuffer): TensorData = TensorData { out ->
            val view = bytes.duplicate()
            while (view.hasRemaining()) out.write(view)
        }
    }
}
