package dev.sdj.core.image

import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.security.MessageDigest
import java.util.HexFormat

/**
 * A1111's hash of a LoRA in "Lora hashes": the first 12 hex digits of the SHA-256 of a safetensors file's data after
 * its header (the "addnet" hash, unchanged by edits to the metadata), or of the whole file in other formats.
 */
fun loraHash(file: Path): String {
    val digest = MessageDigest.getInstance("SHA-256")
    val buffer = ByteBuffer.allocateDirect(1 shl 20)
    FileChannel.open(file, StandardOpenOption.READ).use { channel ->
        if (file.fileName.toString().endsWith(".safetensors")) {
            val length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
            while (length.hasRemaining() && channel.read(length) >= 0) continue
            channel.position(8 + length.flip().long)
        }
        while (channel.read(buffer.clear()) >= 0) digest.update(buffer.flip())
    }
    return HexFormat.of().formatHex(digest.digest()).substring(0, 12)
}
