package dev.sdj.core.memory

import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.TensorRef
import dev.sdj.core.model.safetensors.SafetensorsWriter
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs

/**
 * A patch changes the device copy of the tensors it names as they load, in every device type: f32 and f16 as the
 * sum rounded once, bf16 likewise, quantized types dequantized, changed and quantized again; other tensors load as
 * they are.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PatchedLoadTest {
    private val dir: Path = Files.createTempDirectory("sdj-patched-load")
    private val ggml = Ggml.get()
    private val rows = 8
    private val cols = 64
    private val source = FloatArray(rows * cols) { ((it * 37) % 101 - 50) / 40f }
    /** "patched" and "kept" in f32, f16 and bf16: the device types a file's floats load as without converting them. */
    private val refs: Map<String, TensorRef> = run {
        val writer = SafetensorsWriter()
        for (type in listOf(DType.F32, DType.F16, DType.BF16)) {
            val bytes = ByteBuffer.allocate(source.size * (if (type == DType.F32) 4 else 2)).order(ByteOrder.LITTLE_ENDIAN)
            for (v in source) when (type) {
                DType.F32 -> bytes.putFloat(v)
                DType.F16 -> bytes.putShort(HalfFloat.fromFloat(v))
                else -> bytes.putShort((v.toRawBits() ushr 16).toShort())
            }
            val suffix = type.ggml!!.ggmlName()
            writer.addTensor("patched $suffix", type, listOf(cols.toLong(), rows.toLong()), TensorData.of(bytes.flip()))
                .addTensor("kept $suffix", type, listOf(cols.toLong(), rows.toLong()), TensorData.of(bytes))
        }
        val file = dir.resolve("w.safetensors")
        writer.write(file)
        ModelOpener.openFile(file, null).tensors.associate { (f, info) -> info.name to TensorRef(f, info) }
    }

    /** Adds a different amount to each element, so a shifted or unpatched element shows. */
    private val patch = object : WeightPatch {
        override val names = setOf("patched")
        override val key = "test"
        override fun apply(name: String, values: FloatArray) {
            for (i in values.indices) values[i] += delta(i)
        }
    }

    private fun delta(i: Int) = 0.25f + i * 1e-3f

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    @ParameterizedTest
    @ValueSource(strings = ["f32", "f16", "bf16", "q8_0", "q4_0"])
    fun `the patched tensor holds the file's values plus the change, the other the file's`(typeName: String) {
        val type = GgmlType.entries.first { it.ggmlName() == typeName }
        // Quantized types are quantized on load from f32, as `--type` does.
        val stored = if (typeName == "f16" || typeName == "bf16") typeName else "f32"
        val sources = mapOf("patched" to refs.getValue("patched $stored"), "kept" to refs.getValue("kept $stored"))
        val specs = sources.keys.map { ParamSpec(it, type, listOf(cols.toLong(), rows.toLong())) }
        val unpatched = ParamLoader().use { it.allocateAndLoad(ggml, MemoryLedger(), ggml.cpu().bufferType(), specs, sources, "plain").first }
        val patched = ParamLoader(patch = patch).use { it.allocateAndLoad(ggml, MemoryLedger(), ggml.cpu().bufferType(), specs, sources, "patched").first }
        try {
            assertArrayEquals(bytes(unpatched, "kept"), bytes(patched, "kept"), "a tensor the patch does not name")
            val device = bytes(patched, "patched")
            val got = WeightValues.decode(type, ByteBuffer.allocateDirect(device.size).put(device).flip(), cols.toLong())
            val tolerance = when (typeName) {
                "f32" -> 1e-6f
                "f16" -> 2e-3f
                "bf16" -> 2e-2f
                "q8_0" -> 2.5f / 127
                else -> 2.5f / 7
            }
            for (i in got.indices) {
                val expected = source[i] + delta(i)
                if (abs(got[i] - expected) > tolerance) fail<Unit>("$typeName element $i: ${got[i]}, expected $expected")
            }
            assertTrue(!bytes(unpatched, "patched").contentEquals(bytes(patched, "patched")), "the patch changed the device copy")
        } finally {
            unpatched.close()
            patched.close()
        }
    }

    private fun bytes(buffer: ParamBuffer, name: String): ByteArray {
        val t = buffer.tensor(name)
        val b = ByteBuffer.allocateDirect(t.nbytes().toInt())
        t.read(b, 0)
        return ByteArray(b.capacity()).also { b.get(0, it) }
    }
}
