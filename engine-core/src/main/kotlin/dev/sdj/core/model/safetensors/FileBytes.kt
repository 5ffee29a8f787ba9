package dev.sdj.core.model.safetensors

import dev.sdj.api.ModelFileException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path

/** Exactly [length] bytes of [channel] from [position]; the caller has checked they lie inside the file. */
internal fun readExactly(file: Path, channel: FileChannel, position: Long, length: Int): ByteBuffer {
    val buffer = ByteBuffer.allocate(length)
    while (buffer.hasRemaining()) {
        // The size was checked first, so an early end means the file shrank while being read.
        if (channel.read(buffer, position + buffer.position()) < 0) {
            throw ModelFileException(file, null, "file ended at byte ${position + buffer.position()} while reading it")
        }
    }
    return buffer.flip()
}
