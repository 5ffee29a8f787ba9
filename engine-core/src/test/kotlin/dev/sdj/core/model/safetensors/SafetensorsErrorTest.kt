package dev.sdj.core.model.safetensors

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.safetensors.SafetensorsSamples.assertRejected
import dev.sdj.core.model.safetensors.SafetensorsSamples.raw
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class SafetensorsErrorTest {
    @TempDir
    lateinit var dir: Path

    private val file: Path get() = dir.resolve("bad.safetensors")

    private fun tensor(dtype: String = "F32", shape: String = "[2]", offsets: String = "[0, 8]", name: String = "w") =
        """{"$name": {"dtype": "$dtype", "shape": $shape, "data_offsets": $offsets}}"""

    private val valid: ByteArray get() = raw(tensor(), ByteArray(8))

    @Test
    fun `the valid file these cases break is accepted`() {
        Files.write(file, valid)
        assertEquals(listOf(2L), SafetensorsFile.read(file).tensor("w")!!.shape)
    }

    @Test
    fun `truncated inside the header length`() {
        assertRejected(file, valid.copyOf(5), null, "file is 5 bytes, too short for the 8-byte header length")
        assertRejected(file, ByteArray(0), null, "file is 0 bytes")
    }

    @Test
    fun `truncated inside the header`() {
        val cut = valid.copyOf(20)
        assertRejected(file, cut, null, "header length ${valid.size - 16} runs past the end of the file (20 bytes)")
    }

    @Test
    fun `truncated inside the data`() {
        assertRejected(file, valid.copyOf(valid.size - 1), "w", "data_offsets [0, 8] run past the end of the data section (7 bytes)")
    }

    @Test
    fun `header length past the end`() {
        assertRejected(file, raw("{}", declaredLength = 3), null, "header length 3 runs past the end of the file (10 bytes)")
    }

    @Test
    fun `huge header length is refused before allocating`() {
        assertRejected(file, raw("{}", declaredLength = 1L shl 40), null, "header length 1099511627776 exceeds the limit of 104857600 bytes")
        assertRejected(file, raw("{}", declaredLength = -1L), null, "header length 18446744073709551615 exceeds the limit")
    }

    @Test
    fun `header that is not JSON`() {
        assertRejected(file, raw("{nope"), null, "header is not valid JSON")
        assertRejected(file, raw("""{"a": {}} trailing"""), null, "header is not valid JSON")
        assertRejected(file, raw(""), null, "header is not a JSON object: it is empty")
        assertRejected(file, SafetensorsSamples.rawBytes(byteArrayOf('{'.code.toByte(), 0xC3.toByte(), '}'.code.toByte())), null, "header is not valid UTF-8")
    }

    @Test
    fun `header that is a JSON array`() {
        assertRejected(file, raw("""[{"w": 1}]"""), null, "header is not a JSON object: it is a JSON array")
    }

    @Test
    fun `tensor entry that is not an object`() {
        assertRejected(file, raw("""{"w": [1, 2]}"""), "w", "entry is not a JSON object: [1,2]")
    }

    @Test
    fun `unknown or missing dtype`() {
        assertRejected(file, raw(tensor(dtype = "F33"), ByteArray(8)), "w", "unknown dtype 'F33'")
        assertRejected(file, raw(tensor(dtype = "Q4_0"), ByteArray(8)), "w", "unknown dtype 'Q4_0'")
        assertRejected(file, raw("""{"w": {"shape": [2], "data_offsets": [0, 8]}}""", ByteArray(8)), "w", "dtype is missing")
        assertRejected(file, raw("""{"w": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}}""", ByteArray(8)), "w", "dtype is not a string: 4")
    }

    @Test
    fun `negative, non-integer, huge or non-array shape`() {
        val expected = "shape must be an array of non-negative integers below 2^63, found "
        assertRejected(file, raw(tensor(shape = "[-2]"), ByteArray(8)), "w", "$expected[-2]")
        assertRejected(file, raw(tensor(shape = "[2.0]"), ByteArray(8)), "w", "$expected[2.0]")
        assertRejected(file, raw(tensor(shape = "[\"2\"]"), ByteArray(8)), "w", expected)
        assertRejected(file, raw(tensor(shape = "[9223372036854775808]"), ByteArray(8)), "w", "$expected[9223372036854775808]")
        assertRejected(file, raw(tensor(shape = "2"), ByteArray(8)), "w", "${expected}2")
        assertRejected(file, raw("""{"w": {"dtype": "F32", "data_offsets": [0, 8]}}""", ByteArray(8)), "w", "shape is missing")
    }

    @Test
    fun `zero-sized dimension`() {
        assertRejected(file, raw(tensor(shape = "[3, 0]", offsets = "[0, 0]")), "w", "zero-sized tensors are not supported (shape [3, 0])")
    }

    @Test
    fun `bad data_offsets`() {
        val expected = "data_offsets must be two non-negative integers [begin, end], found "
        assertRejected(file, raw(tensor(offsets = "[8, 0]"), ByteArray(8)), "w", "data_offsets [8, 0] end before they begin")
        assertRejected(file, raw(tensor(offsets = "[8]"), ByteArray(8)), "w", "$expected[8]")
        assertRejected(file, raw(tensor(offsets = "[0, 8, 16]"), ByteArray(16)), "w", "$expected[0,8,16]")
        assertRejected(file, raw(tensor(offsets = "[-8, 0]"), ByteArray(8)), "w", "$expected[-8,0]")
        assertRejected(file, raw(tensor(offsets = "{}"), ByteArray(8)), "w", "$expected{}")
        assertRejected(file, raw("""{"w": {"dtype": "F32", "shape": [2]}}""", ByteArray(8)), "w", "data_offsets is missing")
    }

    @Test
    fun `tensor data past the end`() {
        assertRejected(file, raw(tensor(offsets = "[8, 16]"), ByteArray(12)), "w", "data_offsets [8, 16] run past the end of the data section (12 bytes)")
        assertRejected(file, raw(tensor(offsets = "[9223372036854775799, 9223372036854775807]", shape = "[2]"), ByteArray(8)), "w", "run past the end")
    }

    @Test
    fun `overlapping tensors`() {
        val header = """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"""
        assertRejected(file, raw(header, ByteArray(12)), "b", "data overlaps tensor 'a'")
    }

    @Test
    fun `byte size that does not match the shape`() {
        assertRejected(file, raw(tensor(offsets = "[0, 4]"), ByteArray(8)), "w", "shape [2] of F32 needs 8 bytes, data_offsets [0, 4] hold 4")
        assertRejected(file, raw(tensor(dtype = "BF16", shape = "[3, 2]", offsets = "[0, 8]"), ByteArray(8)), "w", "shape [3, 2] of BF16 needs 12 bytes")
    }

    @Test
    fun `duplicate tensor names`() {
        val header = """{"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                         "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}"""
        assertRejected(file, raw(header, ByteArray(2)), null, "Duplicate field 'w'")
    }

    @Test
    fun `dimension product overflow`() {
        assertRejected(file, raw(tensor(shape = "[4294967296, 4294967296, 2]"), ByteArray(8)), "w", "shape [4294967296, 4294967296, 2] overflows")
        assertRejected(file, raw(tensor(dtype = "F64", shape = "[2305843009213693952]"), ByteArray(8)), "w", "overflows")
    }

    @Test
    fun `metadata that is not string to string`() {
        assertRejected(file, raw("""{"__metadata__": {"k": 1}}"""), null, "__metadata__ value for 'k' is not a string: 1")
        assertRejected(file, raw("""{"__metadata__": "x"}"""), null, "__metadata__ is not a JSON object: \"x\"")
    }

    @Test
    fun `empty tensor name`() {
        assertRejected(file, raw(tensor(name = ""), ByteArray(8)), null, "a tensor has an empty name")
    }

    @Test
    fun `missing file or a directory`() {
        val missing = dir.resolve("absent.safetensors")
        val e = assertThrows<ModelFileException> { SafetensorsFile.read(missing) }
        assertEquals(missing, e.file())
        assertEquals("no such file", e.reason())
        val d = assertThrows<ModelFileException> { SafetensorsFile.read(dir) }
        assertTrue(d.reason().contains("is a directory"), d.message)
    }
}
