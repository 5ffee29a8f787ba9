package dev.sdj.core.model

import dev.sdj.api.ModelFileException
import java.io.IOException
import java.nio.file.FileSystemException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.attribute.BasicFileAttributes

/**
 * Checks on the paths a model is read from, made before anything opens them. Opening a FIFO blocks until something
 * writes to it and a device such as /dev/zero never ends, so only regular files are read; a missing file, a dangling
 * link and a link loop are told apart.
 */
object ModelPaths {
    /** The attributes of what [path] leads to, following links; throws when there is nothing there. */
    fun requireExisting(path: Path): BasicFileAttributes = try {
        Files.readAttributes(path, BasicFileAttributes::class.java)
    } catch (e: NoSuchFileException) {
        val reason = if (Files.isSymbolicLink(path)) "is a symbolic link to ${linkTarget(path)}, which does not exist" else "no such file"
        throw ModelFileException(path, null, reason, e)
    } catch (e: FileSystemException) {
        // ELOOP has no exception of its own; the link itself is still there to be recognised.
        val reason = if (Files.isSymbolicLink(path)) "is a symbolic link loop (or a chain of links too long to follow)" else "cannot be read: ${e.reason ?: e.message}"
        throw ModelFileException(path, null, reason, e)
    } catch (e: IOException) {
        throw ModelFileException(path, null, "cannot be read: ${e.message}", e)
    }

    /** [path] must lead to a regular file; [what] names what it should be ("a GGUF file"). */
    fun requireRegularFile(path: Path, what: String) {
        val attributes = requireExisting(path)
        if (attributes.isDirectory) throw ModelFileException(path, null, "is a directory, not $what")
        if (!attributes.isRegularFile) {
            throw ModelFileException(path, null, "is ${specialKind(path)}, not $what: only regular files are read (this one could block or never end)")
        }
    }

    /**
     * A file found inside the model folder [folder] must really lie in it: a symbolic link out of it is refused.
     * Hugging Face's cache links each file of `models--…/snapshots/<revision>/` to `models--…/blobs/`, which counts
     * as inside.
     */
    fun requireInside(folder: Path, file: Path) {
        requireExisting(file)
        val root = folder.toRealPath()
        val real = file.toRealPath()
        val snapshots = root.parent?.takeIf { it.fileName?.toString() == "snapshots" }
        val roots = listOfNotNull(root, snapshots?.parent?.resolve("blobs"))
        if (roots.none { real.startsWith(it) }) {
            throw ModelFileException(file, null, "leads out of the model folder $folder (to $real); only files inside it are read — " +
                "pass that file on its own instead")
        }
    }

    private fun linkTarget(link: Path): String = try {
        Files.readSymbolicLink(link).toString()
    } catch (e: IOException) {
        "an unreadable target"
    }

    private fun specialKind(path: Path): String {
        val mode = try {
            Files.getAttribute(path, "unix:mode") as Int
        } catch (e: Exception) {
            return "a special file"
        }
        return when (mode and 0xF000) {
            0x1000 -> "a FIFO (named pipe)"
            0x2000 -> "a character device"
            0x6000 -> "a block device"
            0xC000 -> "a socket"
            else -> "a special file"
        }
    }
}
