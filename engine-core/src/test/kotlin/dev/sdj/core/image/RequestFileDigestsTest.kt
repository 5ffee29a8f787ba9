package dev.sdj.core.image

import dev.sdj.api.InvalidRequestException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.AccessDeniedException
import java.nio.file.Files
import java.nio.file.Path

class RequestFileDigestsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `each file is read once per request, and a new request reads it again`() {
        val image = dir.resolve("init.png").also { Files.write(it, byteArrayOf(1, 2, 3)) }
        val mask = dir.resolve("mask.png").also { Files.write(it, byteArrayOf(4, 5)) }
        val read = ArrayList<Path>()
        val digest: (Path) -> String = { read.add(it); sha256Hex(it) }
        val request = RequestFileDigests(digest)
        repeat(3) {
            assertEquals(sha256Hex(image), request.of(image, "init image"))
            assertEquals(sha256Hex(mask), request.of(mask, "mask"))
        }
        assertEquals(listOf(image, mask), read)
        Files.write(image, byteArrayOf(9))
        assertEquals(sha256Hex(image), RequestFileDigests(digest).of(image, "init image"), "the next request sees the changed file")
        assertEquals(listOf(image, mask, image), read)
    }

    @Test
    fun `a missing or unreadable file is refused naming what it is and where`() {
        val missing = dir.resolve("missing.png")
        val none = assertThrows(InvalidRequestException::class.java) { RequestFileDigests().of(missing, "mask") }
        assertEquals("mask $missing: no such file", none.message)
        val unreadable = dir.resolve("locked.png").also { Files.write(it, byteArrayOf(1)) }
        val refused = assertThrows(InvalidRequestException::class.java) {
            RequestFileDigests { throw AccessDeniedException(it.toString()) }.of(unreadable, "init image")
        }
        assertEquals("init image $unreadable: cannot be read ($unreadable)", refused.message)
    }
}
