package dev.sdj.core.image

import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * A1111's hash of a LoRA in "Lora hashes": the first 12 hex digits of the SHA-256 of a safetensors file's data after
 * its header (the "addnet" hash, unchanged by edits to the metadata), or of the whole file in other formats.
 */
fun loraHash(file: Path): String {
    val from = if (file.fileName.toString().endsWith(".safetensors")) 8 + safetensorsHeaderLength(file) else 0L
    return sha256Hex(file, from).substring(0, 12)
}

/** The length of a safetensors file's JSON header: the little-endian 64-bit number its first 8 bytes hold. */
private fun safetensorsHeaderLength(file: Path): Long = FileChannel.open(file, StandardOpenOption.READ).use { channel ->
    val length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
    while (length.hasRemaining() && channel.read(length) >= 0) continue
    length.flip().long
}
