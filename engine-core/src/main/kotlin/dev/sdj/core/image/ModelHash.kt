package dev.sdj.core.image

import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.security.MessageDigest
import java.util.HexFormat

/**
 * A1111's "Model hash" for a checkpoint file: the first 10 hex digits of the SHA-256 of the whole file
 * (`CheckpointInfo.shorthash = sha256[0:10]`, `hashes.calculate_sha256`), the same as Civitai's "AutoV2" hash.
 * The file is read in 1 MiB blocks, so multi-gigabyte checkpoints need no more heap than that.
 */
fun modelHash(file: Path): String {
    val digest = MessageDigest.getInstance("SHA-256")
    val buffer = ByteBuffer.allocateDirect(1 shl 20)
    FileChannel.open(file, StandardOpenOption.READ).use { channel ->
        while (channel.read(buffer.clear()) >= 0) digest.update(buffer.flip())
    }
    return HexFormat.of().formatHex(digest.digest()).substring(0, 10)
}
