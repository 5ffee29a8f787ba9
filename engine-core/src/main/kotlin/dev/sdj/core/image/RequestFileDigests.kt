package dev.sdj.core.image

import dev.sdj.api.InvalidRequestException
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

/**
 * The SHA-256 of the files one request names (its init image, its mask), in hex: what tells whether an encoding of
 * them may be reused (their contents, not their names or times). Each file is read once however many reuse keys of
 * the request ask for it (the plan, then every image of a batch); the next request makes a new one, so a file changed
 * in between is read again.
 *
 * @param sha256 how a file's digest is computed
 */
class RequestFileDigests(private val sha256: (Path) -> String = { sha256Hex(it) }) {
    private val known = HashMap<Path, String>()

    /** The digest of the file at [path]; a missing or unreadable file is an [InvalidRequestException] naming it as [what]. */
    fun of(path: Path, what: String): String = known[path] ?: run {
        if (!Files.isRegularFile(path)) throw InvalidRequestException("$what $path: no such file")
        val digest = try {
            sha256(path)
        } catch (e: IOException) {
            throw InvalidRequestException("$what $path: cannot be read (${e.message})")
        }
        digest.also { known[path] = it }
    }
}
