package dev.sdj.core.model.safetensors

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsSamples.assertHolds
import dev.sdj.core.model.safetensors.SafetensorsSamples.everyType
import dev.sdj.core.model.safetensors.SafetensorsSamples.writer
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path

class SafetensorsRoundTripTest {
    private val metadata = mapOf("format" to "pt", "描述" to "Grüße, 世界 🌍", "empty" to "")

    @Test
    fun `every dtype and shape reads back as written`(@TempDir dir: Path) {
        val samples = everyType(seed = 1)
        val path = dir.resolve("model.safetensors")
        writer(samples, metadata).write(path)

        val file = SafetensorsFile.read(path)
        assertEquals("safetensors", file.format)
        assertEquals(path, file.path)
        assertEquals(metadata, file.stringMetadata)
        assertEquals(samples.map { it.name }, file.tensors.map { it.name })
        assertEquals(SafetensorsSamples.safetensorsTypes.toSet(), file.tensors.map { it.type }.toSet())
        assertHolds(file, samples)
        assertNull(file.tensor("absent"))
    }

    @Test
    fun `a scalar reads back as one element`(@TempDir dir: Path) {
        val path = dir.resolve("scalar.safetensors")
        SafetensorsWriter().addTensor("s", DType.F32, emptyList(), TensorData.of(ByteBuffer.allocate(4))).write(path)
        assertEquals(listOf(1L), SafetensorsFile.read(path).tensor("s")!!.shape)
    }

    @Test
    fun `shapes are written row-major, outermost first`(@TempDir dir: Path) {
        val path = dir.resolve("shape.safetensors")
        SafetensorsWriter().addTensor("w", DType.I8, listOf(2L, 3L, 5L), TensorData.of(ByteBuffer.allocate(30))).write(path)
        val header = ObjectMapper().readTree(String(headerBytes(path), Charsets.UTF_8))
        assertEquals("[5,3,2]", header["w"]["shape"].toString())
        assertEquals(listOf(2L, 3L, 5L), SafetensorsFile.read(path).tensor("w")!!.shape)
    }

    @Test
    fun `the data section starts 8-byte aligned`(@TempDir dir: Path) {
        for (nameLength in 1..9) {
            val path = dir.resolve("aligned$nameLength.safetensors")
            SafetensorsWriter().addTensor("x".repeat(nameLength), DType.U8, listOf(1L), TensorData.of(ByteBuffer.allocate(1))).write(path)
            assertEquals(0, headerBytes(path).size % 8)
            assertEquals(0L, SafetensorsFile.read(path).tensors.single().offset % 8)
        }
    }

    @Test
    fun `data is pulled from TensorData in pieces`(@TempDir dir: Path) {
        val chunk = ByteArray(64 * 1024) { it.toByte() }
        val chunks = 48
        val path = dir.resolve("streamed.safetensors")
        SafetensorsWriter().addTensor("big", DType.U8, listOf(chunk.size.toLong() * chunks), TensorData { out ->
            repeat(chunks) { val b = ByteBuffer.wrap(chunk); while (b.hasRemaining()) out.write(b) }
        }).write(path)
        val info = SafetensorsFile.read(path).tensor("big")!!
        assertEquals(chunk.size.toLong() * chunks, info.byteSize)
        assertArrayEquals(chunk, SafetensorsSamples.bytesAt(path, info.offset + chunk.size * 7L, chunk.size.toLong()))
    }

    @Test
    fun `data of the wrong size fails the write and leaves the old file alone`(@TempDir dir: Path) {
        val path = dir.resolve("model.safetensors")
        Files.writeString(path, "old")
        for (size in listOf(3, 5)) {
            val writer = SafetensorsWriter().addTensor("w", DType.F32, listOf(1L), TensorData.of(ByteBuffer.allocate(size)))
            val e = assertThrows<IllegalStateException> { writer.write(path) }
            assertEquals("tensor 'w' wrote $size bytes, its F32 shape [1] needs 4", e.message)
        }
        assertEquals("old", Files.readString(path))
        assertEquals(listOf(path), Files.list(dir).use { it.toList() })
    }

    @Test
    fun `a failing TensorData leaves no file`(@TempDir dir: Path) {
        val writer = SafetensorsWriter().addTensor("w", DType.F32, listOf(1L), TensorData { throw IllegalStateException("source gone") })
        assertThrows<IllegalStateException> { writer.write(dir.resolve("model.safetensors")) }
        assertFalse(Files.list(dir).use { it.findAny().isPresent })
    }

    @Test
    fun `the writer refuses what the format cannot hold`() {
        val data = TensorData.of(ByteBuffer.allocate(0))
        val writer = SafetensorsWriter().addTensor("a", DType.U8, listOf(1L), TensorData.of(ByteBuffer.allocate(1)))
        assertThrows<IllegalArgumentException> { writer.addTensor("a", DType.U8, listOf(1L), data) }
        assertThrows<IllegalArgumentException> { writer.addTensor("__metadata__", DType.U8, listOf(1L), data) }
        assertThrows<IllegalArgumentException> { writer.addTensor("", DType.U8, listOf(1L), data) }
        assertThrows<IllegalArgumentException> { writer.addTensor("q", DType.Q4_0, listOf(32L), data) }
        assertThrows<IllegalArgumentException> { writer.addTensor("z", DType.U8, listOf(0L), data) }
        assertThrows<IllegalArgumentException> { writer.addTensor("o", DType.F32, listOf(1L shl 32, 1L shl 32), data) }
    }

    private fun headerBytes(path: Path): ByteArray {
        val bytes = Files.readAllBytes(path)
        val length = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0).toInt()
        return bytes.copyOfRange(8, 8 + length)
    }
}
