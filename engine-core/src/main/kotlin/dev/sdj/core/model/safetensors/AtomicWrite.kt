package dev.sdj.core.model.safetensors

import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.StandardOpenOption
import java.util.UUID

/**
 * Runs [body] on a new file beside [path] and renames it over [path] only when [body] succeeded, so that readers
 * see either the old file or the whole new one, and a failure leaves nothing behind.
 */
internal fun writeAtomically(path: Path, body: (FileChannel) -> Unit) {
    val target = path.toAbsolutePath()
    val temp = target.resolveSibling(".${target.fileName}.${UUID.randomUUID()}.tmp")
    try {
        FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).use { channel ->
            body(channel)
            channel.force(true)
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
    } catch (e: Throwable) {
        try {
            Files.deleteIfExists(temp)
        } catch (cleanup: Exception) {
            e.addSuppressed(cleanup)
        }
        throw e
    }
}
