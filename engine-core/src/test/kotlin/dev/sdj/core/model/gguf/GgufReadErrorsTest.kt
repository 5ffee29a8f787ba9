package dev.sdj.core.model.gguf

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.RawGguf.Companion.F32
import dev.sdj.core.model.gguf.RawGguf.Companion.Q8_0
import dev.sdj.core.model.gguf.RawGguf.Companion.STRING
import dev.sdj.core.model.gguf.RawGguf.Companion.defaultEntries
import dev.sdj.core.model.gguf.RawGguf.Companion.file
import dev.sdj.core.model.gguf.RawGguf.Tensor
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class GgufReadErrorsTest {
    @TempDir
    lateinit var dir: Path

    private fun fails(bytes: ByteArray, vararg fragments: String, tensor: String? = null): ModelFileException =
        failsAt(dir.resolve("bad.gguf").also { Files.write(it, bytes) }, *fragments, tensor = tensor)

    private fun failsAt(file: Path, vararg fragments: String, tensor: String? = null): ModelFileException {
        val e = assertThrows<ModelFileException> { GgufFile.read(file) }
        assertEquals(file, e.file())
        assertTrue(e.message!!.startsWith(file.toString()), e.message)
        assertEquals(tensor, e.tensor().orElse(null), e.message)
        fragments.forEach { assertTrue(e.reason().contains(it), "'${e.message}' should mention '$it'") }
        return e
    }

    private fun withEntry(entry: RawGguf.() -> Unit) = file(entries = defaultEntries + entry).bytes()
    private fun withTensors(vararg tensors: Tensor) = file(tensors = tensors.toList()).bytes()

    @Test
    fun `the default test file is valid`() {
        val f = dir.resolve("good.gguf")
        Files.write(f, file().bytes())
        assertEquals(listOf("a", "b"), GgufFile.read(f).tensors.map { it.name })
    }

    @Test
    fun `a truncated file names the part it ends in`() {
        // A long first entry, so the cuts after it leave more bytes than the tensor and entry counts need at least.
        val raw = file(entries = listOf<RawGguf.() -> Unit>({ key("general.description", STRING).str("d".repeat(200)) }) + defaultEntries)
        val bytes = raw.bytes()
        val name = raw.marks.getValue("key:general.name")
        val tensorB = raw.marks.getValue("tensor:b")
        fails(ByteArray(0), "truncated in the header", "has 0 bytes")
        fails(bytes.copyOf(2), "truncated in the header")
        fails(bytes.copyOf(6), "truncated in the header")
        fails(bytes.copyOf(20), "truncated in the header")
        // Inside a key's length prefix, then inside its value's length prefix.
        fails(bytes.copyOf(name + 3), "truncated in metadata entry #2")
        fails(bytes.copyOf(name + 8 + 12 + 4 + 2), "truncated in key 'general.name'")
        // Inside the value's text: the length runs past the end.
        fails(bytes.copyOf(name + 8 + 12 + 4 + 8 + 1), "key 'general.name'", "string length 4", "truncated or corrupt")
        fails(bytes.copyOf(tensorB + 8 + 1 + 6), "truncated in its tensor info", tensor = "b")
        fails(bytes.copyOf(bytes.size - 1), "runs past the end of the file", tensor = "b")
    }

    @Test
    fun `a file that is not GGUF says what it starts with`() {
        val bytes = file().bytes().also { it[3] = 'L'.code.toByte(); it[2] = 'M'.code.toByte() }
        fails(bytes, "not a GGUF file", "47 47 4d 4c", "GGML")
        fails("{\"".toByteArray(), "not a GGUF file")
    }

    @Test
    fun `version 1 is refused with the reason`() {
        fails(file(version = 1).bytes(), "version 1 is not supported")
    }

    @Test
    fun `a big-endian file is refused as such`() {
        fails(file(version = 3L shl 24).bytes(), "big-endian GGUF is not supported")
    }

    @Test
    fun `an unknown version is refused`() {
        fails(file(version = 4).bytes(), "unsupported GGUF version 4")
        fails(file(version = 0xFFFF_FFFFL).bytes(), "unsupported GGUF version 4294967295")
    }

    @Test
    fun `counts and lengths the rest of the file cannot hold are refused before allocating`() {
        fails(file(tensorCount = 1L shl 40).bytes(), "claims 1099511627776 tensors", "truncated or corrupt")
        fails(file(tensorCount = -1L).bytes(), "claims 18446744073709551615 tensors")
        fails(file(entryCount = 1L shl 60).bytes(), "metadata entries")
        fails(withEntry { key("huge.string", STRING).u64(1L shl 62) }, "key 'huge.string'", "string length 4611686018427387904")
        fails(withEntry { u64(-1L) }, "metadata entry #2", "string length 18446744073709551615")
        fails(withEntry { key("huge.array", 9).arrayHeader(4, 1L shl 50) }, "key 'huge.array'", "claims 1125899906842624 array elements")
        fails(withEntry { key("huge.array", 9).arrayHeader(8, 1000) }, "key 'huge.array'", "array elements of type STRING")
    }

    @Test
    fun `tensor data past the end of the file is refused`() {
        fails(withTensors(Tensor("a", listOf(8), F32, 0), Tensor("b", listOf(32, 2), Q8_0, 64)), "runs past the end", tensor = "b")
        fails(withTensors(Tensor("a", listOf(8), F32, 1L shl 40)), "past the end of the file", tensor = "a")
        fails(withTensors(Tensor("a", listOf(8), F32, -32L)), "18446744073709551584", "past the end", tensor = "a")
    }

    @Test
    fun `overlapping tensors are refused`() {
        fails(withTensors(Tensor("a", listOf(16), F32, 0), Tensor("b", listOf(32, 1), Q8_0, 32)), "overlaps tensor 'a'", tensor = "b")
    }

    @Test
    fun `a misaligned offset is refused`() {
        fails(withTensors(Tensor("a", listOf(8), F32, 0), Tensor("b", listOf(32, 1), Q8_0, 33)), "not aligned to 32", tensor = "b")
    }

    @Test
    fun `an unknown ggml type is refused with its number`() {
        fails(withTensors(Tensor("a", listOf(8), 4, 0)), "unknown ggml type number 4", tensor = "a")
        fails(withTensors(Tensor("a", listOf(8), 99, 0)), "unknown ggml type number 99", tensor = "a")
        fails(withTensors(Tensor("a", listOf(8), -1, 0)), "unknown ggml type number 4294967295", tensor = "a")
    }

    @Test
    fun `a shape impossible for its type is refused`() {
        fails(withTensors(Tensor("b", listOf(33, 2), Q8_0, 0)), "impossible for Q8_0", "block size 32", tensor = "b")
    }

    @Test
    fun `duplicate tensor names are refused`() {
        fails(withTensors(Tensor("a", listOf(8), F32, 0), Tensor("a", listOf(8), F32, 32)), "duplicate tensor name", tensor = "a")
    }

    @Test
    fun `duplicate keys are refused`() {
        fails(withEntry { key("general.name", STRING).str("again") }, "key 'general.name'", "more than once")
    }

    @Test
    fun `dimensions whose product overflows are refused`() {
        fails(withTensors(Tensor("a", listOf(1L shl 32, 1L shl 32), F32, 0)), "impossible for F32", tensor = "a")
        fails(withTensors(Tensor("a", listOf(Long.MIN_VALUE), F32, 0)), "dimension 0 is 9223372036854775808", tensor = "a")
        fails(withTensors(Tensor("a", listOf(8, 0), F32, 0)), "must be positive", tensor = "a")
    }

    @Test
    fun `zero or more than four dimensions are refused`() {
        fails(withTensors(Tensor("a", emptyList(), F32, 0)), "0 dimensions", tensor = "a")
        fails(withTensors(Tensor("a", listOf(1, 1, 1, 1, 8), F32, 0)), "5 dimensions", tensor = "a")
    }

    @Test
    fun `a missing file or a directory is reported as such`() {
        failsAt(dir.resolve("absent.gguf"), "no such file")
        failsAt(dir, "is a directory")
    }

    @Test
    fun `an unusable alignment is refused`() {
        fun alignment(type: Int, value: Long) = file(entries = listOf<RawGguf.() -> Unit>({
            key("general.alignment", type).apply { if (type == 4 || type == 5) u32(value) else u64(value) }
        }) + defaultEntries).bytes()
        fails(alignment(4, 0), "key 'general.alignment'", "power of two", "UINT32 0")
        fails(alignment(4, 48), "power of two", "UINT32 48")
        fails(alignment(5, 64), "power of two", "INT32 64")
        fails(alignment(10, 64), "UINT64 64")
    }

    @Test
    fun `invalid UTF-8 is refused`() {
        val bad = byteArrayOf(0x61, 0xC3.toByte(), 0x28)
        fails(withEntry { strBytes(bad).u32(STRING.toLong()).str("x") }, "metadata entry #2", "not valid UTF-8")
        fails(withEntry { key("bad.value", STRING).strBytes(bad) }, "key 'bad.value'", "not valid UTF-8")
        val badName = RawGguf().header(1, 0).strBytes(bad).u32(1).u64(8).u32(0).u64(0).padTo(32).zeros(32).bytes()
        fails(badName, "tensor info #0", "not valid UTF-8")
    }

    @Test
    fun `a boolean other than 0 or 1 is refused`() {
        fails(withEntry { key("flag", 7).u8(2) }, "key 'flag'", "boolean value is 2")
        fails(withEntry { key("flags", 9).arrayHeader(7, 2).u8(1).u8(255) }, "key 'flags'", "boolean value is 255")
    }

    @Test
    fun `an unknown value type is refused`() {
        fails(withEntry { key("odd", 13).u8(0) }, "key 'odd'", "unknown metadata value type 13")
        fails(withEntry { key("odd", -1).u8(0) }, "unknown metadata value type 4294967295")
        fails(withEntry { key("odd", 9).arrayHeader(99, 0) }, "key 'odd'", "unknown metadata value type 99")
    }

    @Test
    fun `arrays nested too deep are refused without overflowing the stack`() {
        fails(withEntry { key("deep", 9).apply { repeat(9) { arrayHeader(9, 1) }; arrayHeader(4, 0) } }, "key 'deep'", "nested more than 8")
        // Eight levels are fine.
        val ok = dir.resolve("deep-ok.gguf")
        Files.write(ok, withEntry { key("deep", 9).apply { repeat(7) { arrayHeader(9, 1) }; arrayHeader(4, 0) } })
        assertEquals(GgufValueType.ARRAY, GgufFile.read(ok).values.getValue("deep").type)
    }
}
