package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.util.HexFormat
import kotlin.random.Random

/** The streamed SHA-256 behind the init image's reuse key, A1111's model hash and its LoRA hash, against MessageDigest over the bytes. */
class FileSha256Test {
    @TempDir
    lateinit var dir: Path

    /** Larger than the 1 MiB read block, with a ragged tail. */
    private val bytes = ByteArray(2 * (1 shl 20) + 13).also { Random(7).nextBytes(it) }

    private fun sha256(bytes: ByteArray, from: Int = 0): String =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.copyOfRange(from, bytes.size)))

    @Test
    fun `a file's digest is its bytes', from the start or from an offset`() {
        val file = dir.resolve("data.bin").also { Files.write(it, bytes) }
        assertEquals(sha256(bytes), sha256Hex(file))
        assertEquals(sha256(bytes, 1_000_003), sha256Hex(file, 1_000_003L))
        val abc = dir.resolve("abc.txt").also { Files.write(it, "abc".toByteArray()) }
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha256Hex(abc), "FIPS 180-2's example")
    }

    /** A safetensors file: the 8-byte header length, the JSON header, then the data the LoRA hash covers. */
    private fun safetensors(name: String, header: String): Path {
        val json = header.toByteArray()
        val length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.size.toLong()).array()
        return dir.resolve(name).also { Files.write(it, length + json + bytes) }
    }

    @Test
    fun `a safetensors LoRA's hash covers its data after the header, another format's the whole file`() {
        val lora = safetensors("a.safetensors", """{"__metadata__":{"ss_network_dim":"4"}}""")
        val edited = safetensors("b.safetensors", """{"__metadata__":{"ss_network_dim":"4","ss_output_name":"renamed"}}""")
        assertEquals(sha256(bytes).take(12), loraHash(lora))
        assertEquals(loraHash(lora), loraHash(edited), "edits to the metadata leave the hash")
        val whole = Files.copy(lora, dir.resolve("a.ckpt"))
        assertEquals(sha256(Files.readAllBytes(whole)).take(12), loraHash(whole))
        assertNotEquals(loraHash(lora), loraHash(whole))
    }
}
