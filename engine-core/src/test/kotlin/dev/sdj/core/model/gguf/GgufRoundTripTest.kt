package dev.sdj.core.model.gguf

import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufValue.Companion.array
import dev.sdj.core.model.gguf.GgufValue.Companion.bool
import dev.sdj.core.model.gguf.GgufValue.Companion.float32
import dev.sdj.core.model.gguf.GgufValue.Companion.float64
import dev.sdj.core.model.gguf.GgufValue.Companion.int16
import dev.sdj.core.model.gguf.GgufValue.Companion.int32
import dev.sdj.core.model.gguf.GgufValue.Companion.int64
import dev.sdj.core.model.gguf.GgufValue.Companion.int8
import dev.sdj.core.model.gguf.GgufValue.Companion.string
import dev.sdj.core.model.gguf.GgufValue.Companion.stringArray
import dev.sdj.core.model.gguf.GgufValue.Companion.uint16
import dev.sdj.core.model.gguf.GgufValue.Companion.uint32
import dev.sdj.core.model.gguf.GgufValue.Companion.uint64
import dev.sdj.core.model.gguf.GgufValue.Companion.uint8
import dev.sdj.core.model.gguf.GgufValueType.ARRAY
import dev.sdj.core.model.gguf.GgufValueType.BOOL
import dev.sdj.core.model.gguf.GgufValueType.FLOAT32
import dev.sdj.core.model.gguf.GgufValueType.FLOAT64
import dev.sdj.core.model.gguf.GgufValueType.INT16
import dev.sdj.core.model.gguf.GgufValueType.INT32
import dev.sdj.core.model.gguf.GgufValueType.INT64
import dev.sdj.core.model.gguf.GgufValueType.INT8
import dev.sdj.core.model.gguf.GgufValueType.STRING
import dev.sdj.core.model.gguf.GgufValueType.UINT16
import dev.sdj.core.model.gguf.GgufValueType.UINT32
import dev.sdj.core.model.gguf.GgufValueType.UINT64
import dev.sdj.core.model.gguf.GgufValueType.UINT8
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import kotlin.random.Random

class GgufRoundTripTest {
    @TempDir
    lateinit var dir: Path

    private val values: Map<String, GgufValue> = linkedMapOf(
        "general.architecture" to string("flux"),
        "general.alignment" to uint32(64),
        "scalar.u8" to uint8(255),
        "scalar.i8" to int8(-128),
        "scalar.u16" to uint16(65535),
        "scalar.i16" to int16(-32768),
        "scalar.u32" to uint32(0xFFFF_FFFFL),
        "scalar.i32" to int32(Int.MIN_VALUE),
        "scalar.u64" to uint64(-1L),
        "scalar.i64" to int64(Long.MIN_VALUE),
        "scalar.f32" to float32(1.5e-3f),
        "scalar.f64" to float64(Math.PI),
        "scalar.true" to bool(true),
        "scalar.false" to bool(false),
        "text.non_ascii" to string("Grüße, 世界 🙂"),
        "text.empty" to string(""),
        // Longer than the reader's buffer, so a string is read partly from the buffer and partly from the channel.
        "text.long" to string("é".repeat(70_000)),
        "array.u8" to array(UINT8, listOf(uint8(0), uint8(200))),
        "array.i8" to array(INT8, listOf(int8(-1), int8(127))),
        "array.u16" to array(UINT16, listOf(uint16(1), uint16(65535))),
        "array.i16" to array(INT16, listOf(int16(-2), int16(300))),
        "array.u32" to array(UINT32, listOf(uint32(7))),
        "array.i32" to GgufValue.int32Array(IntArray(40_000) { it - 20_000 }),
        "array.u64" to array(UINT64, listOf(uint64(Long.MIN_VALUE), uint64(3))),
        "array.i64" to array(INT64, listOf(int64(-5))),
        "array.f32" to GgufValue.float32Array(floatArrayOf(0.25f, -1e30f, Float.NaN)),
        "array.f64" to array(FLOAT64, listOf(float64(-0.0), float64(Double.MAX_VALUE))),
        "array.bool" to array(BOOL, listOf(bool(true), bool(false))),
        "array.string" to stringArray(listOf("a", "ünï", "")),
        "array.empty" to array(FLOAT64, emptyList()),
        "array.nested" to array(ARRAY, listOf(
            array(INT32, listOf(int32(1), int32(2))),
            array(STRING, listOf(string("x"))),
            array(ARRAY, listOf(array(BOOL, listOf(bool(true))))),
        )),
    )

    private class Spec(val name: String, val type: DType, val shape: List<Long>)

    private val specs = listOf(
        Spec("f32.weight", DType.F32, listOf(7)),
        Spec("f16.weight", DType.F16, listOf(3, 5)),
        Spec("bf16.weight", DType.BF16, listOf(2, 3, 4)),
        Spec("q8_0.weight", DType.Q8_0, listOf(64, 2, 1, 3)),
        Spec("q4_k.weight", DType.Q4_K, listOf(256, 2)),
        Spec("i32.weight", DType.I32, listOf(2, 2, 2, 2)),
    )

    @Test
    fun `a written file reads back with the same values, tensors and data`() {
        val random = Random(42)
        val data = specs.associate { it.name to random.nextBytes(it.type.byteSize(it.shape)!!.toInt()) }
        val writer = GgufWriter()
        values.forEach { (k, v) -> writer.put(k, v) }
        specs.forEach { writer.addTensor(it.name, it.type, it.shape, TensorData.of(ByteBuffer.wrap(data.getValue(it.name)))) }
        val file = dir.resolve("round-trip.gguf")
        writer.write(file)

        val gguf = GgufFile.read(file)
        assertEquals("gguf", gguf.format)
        assertEquals(3, gguf.version)
        assertEquals(64L, gguf.alignment)
        assertEquals(0L, gguf.dataStart % 64)
        assertEquals(values.keys.toList(), gguf.values.keys.toList())
        assertEquals(values, gguf.values)
        assertEquals(values.filterValues { it.type == STRING }.mapValues { it.value.asString() }, gguf.stringMetadata)

        assertEquals(specs.map { it.name }, gguf.tensors.map { it.name })
        FileChannel.open(file).use { channel ->
            for (spec in specs) {
                val t = gguf.tensor(spec.name)!!
                assertEquals(spec.type, t.type)
                assertEquals(spec.shape, t.shape)
                assertEquals(spec.type.byteSize(spec.shape), t.byteSize)
                assertEquals(0L, (t.offset - gguf.dataStart) % 64, spec.name)
                val read = ByteBuffer.allocate(t.byteSize.toInt())
                while (read.hasRemaining()) channel.read(read, t.offset + read.position())
                assertArrayEquals(data.getValue(spec.name), read.array(), spec.name)
            }
        }
        assertNull(gguf.tensor("missing"))
    }

    @Test
    fun `a file without general alignment aligns data to 32 bytes`() {
        val file = dir.resolve("default-alignment.gguf")
        GgufWriter()
            .put("general.name", "tiny")
            .addTensor("a", DType.F32, listOf(3), TensorData.of(ByteBuffer.allocate(12)))
            .addTensor("b", DType.F32, listOf(1), TensorData.of(ByteBuffer.allocate(4)))
            .write(file)
        val gguf = GgufFile.read(file)
        assertEquals(32L, gguf.alignment)
        assertEquals(listOf(0L, 32L), gguf.tensors.map { it.offset - gguf.dataStart })
        assertEquals(0L, gguf.dataStart % 32)
    }

    @Test
    fun `reads version 2 files`() {
        val file = dir.resolve("v2.gguf")
        java.nio.file.Files.write(file, RawGguf.file(version = 2).bytes())
        val gguf = GgufFile.read(file)
        assertEquals(2, gguf.version)
        assertEquals(mapOf("general.architecture" to "flux", "general.name" to "tiny"), gguf.stringMetadata)
        assertEquals(listOf(listOf(8L), listOf(32L, 2L)), gguf.tensors.map { it.shape })
    }
}
