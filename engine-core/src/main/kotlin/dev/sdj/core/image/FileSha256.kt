package dev.sdj.core.image

import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.security.MessageDigest
import java.util.HexFormat

/**
 * The SHA-256 of [file] from byte [from] to its end, in lower-case hex. The file is read in 1 MiB blocks, so a
 * multi-gigabyte checkpoint needs no more heap than that. A file that cannot be read is the [java.io.IOException]
 * opening or reading it throws.
 */
fun sha256Hex(file: Path, from: Long = 0L): String {
    val digest = MessageDigest.getInstance("SHA-256")
    val buffer = ByteBuffer.allocateDirect(1 shl 20)
    FileChannel.open(file, StandardOpenOption.READ).use { channel ->
        channel.position(from)
        while (channel.read(buffer.clear()) >= 0) digest.update(buffer.flip())
    }
    return HexFormat.of().formatHex(digest.digest())
}
