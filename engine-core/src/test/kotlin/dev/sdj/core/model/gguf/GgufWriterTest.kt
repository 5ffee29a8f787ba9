package dev.sdj.core.model.gguf

import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries

class GgufWriterTest {
    @TempDir
    lateinit var dir: Path

    private fun writer(data: TensorData) = GgufWriter().put("general.name", "w").addTensor("t", DType.F32, listOf(4), data)

    @Test
    fun `tensor data shorter than its shape needs fails and leaves no file`() {
        val file = dir.resolve("short.gguf")
        val e = assertThrows<IllegalStateException> { writer(TensorData.of(ByteBuffer.allocate(15))).write(file) }
        assertTrue(e.message!!.contains("'t'") && e.message!!.contains("15"), e.message)
        assertEquals(emptyList<Path>(), dir.listDirectoryEntries())
    }

    @Test
    fun `tensor data longer than its shape needs fails and leaves no file`() {
        val file = dir.resolve("long.gguf")
        val e = assertThrows<IllegalStateException> { writer(TensorData.of(ByteBuffer.allocate(17))).write(file) }
        assertTrue(e.message!!.contains("'t'"), e.message)
        assertEquals(emptyList<Path>(), dir.listDirectoryEntries())
    }

    @Test
    fun `a failed write keeps the file it would have replaced`() {
        val file = dir.resolve("model.gguf")
        writer(TensorData.of(ByteBuffer.allocate(16))).write(file)
        val before = Files.readAllBytes(file)
        assertThrows<IllegalStateException> { writer { throw IllegalStateException("generator failed") }.write(file) }
        assertArrayEquals(before, Files.readAllBytes(file))
        assertEquals(listOf(file), dir.listDirectoryEntries())
    }

    @Test
    fun `tensor data is streamed in pieces and can be written twice`() {
        val data = TensorData { out -> repeat(4) { out.write(ByteBuffer.allocate(1024)) } }
        val w = GgufWriter().addTensor("big", DType.F32, listOf(1024), data)
        w.write(dir.resolve("one.gguf"))
        w.write(dir.resolve("two.gguf"))
        assertArrayEquals(Files.readAllBytes(dir.resolve("one.gguf")), Files.readAllBytes(dir.resolve("two.gguf")))
        assertEquals(4096L, GgufFile.read(dir.resolve("two.gguf")).tensor("big")!!.byteSize)
    }

    @Test
    fun `tensors the format cannot hold are refused when added`() {
        val empty = TensorData.of(ByteBuffer.allocate(0))
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("", DType.F32, listOf(1), empty) }
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("t", DType.F32, emptyList(), empty) }
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("t", DType.F32, listOf(1, 1, 1, 1, 1), empty) }
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("t", DType.F32, listOf(0), empty) }
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("t", DType.Q8_0, listOf(33), empty) }
        assertThrows<IllegalArgumentException> { GgufWriter().addTensor("t", DType.U8, listOf(1), empty) }
        assertThrows<IllegalArgumentException> {
            GgufWriter().addTensor("t", DType.F32, listOf(1), empty).addTensor("t", DType.F32, listOf(1), empty)
        }
    }

    @Test
    fun `an unusable general alignment is refused when put`() {
        assertThrows<IllegalArgumentException> { GgufWriter().putUInt32("general.alignment", 0) }
        assertThrows<IllegalArgumentException> { GgufWriter().putUInt32("general.alignment", 48) }
        assertThrows<IllegalArgumentException> { GgufWriter().putInt32("general.alignment", 64) }
    }

    @Test
    fun `a string with an unpaired surrogate is refused rather than altered`() {
        val w = GgufWriter().put("bad", "a\uD800b")
        assertThrows<IllegalArgumentException> { w.write(dir.resolve("bad.gguf")) }
        assertFalse(Files.exists(dir.resolve("bad.gguf")))
    }
}
