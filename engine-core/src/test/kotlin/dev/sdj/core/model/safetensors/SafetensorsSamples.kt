package dev.sdj.core.model.safetensors

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.assertThrows
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import kotlin.random.Random

/** A tensor a test writes, and what reading it back must give. */
class SampleTensor(val name: String, val type: DType, val shape: List<Long>, val bytes: ByteArray) {
    /** ggml shape after reading: a scalar comes back as one element. */
    val readShape: List<Long> get() = shape.ifEmpty { listOf(1L) }
}

object SafetensorsSamples {
    val safetensorsTypes: List<DType> = DType.entries.filter { it.safetensorsName != null }

    private val shapes: List<List<Long>> = listOf(
        emptyList(), listOf(3L), listOf(4L, 2L), listOf(2L, 3L, 2L), listOf(1L, 2L, 3L, 2L), listOf(2L, 1L, 2L, 1L, 3L),
    )

    /** One tensor of every safetensors dtype, with shapes from scalar to five dimensions and seeded random bytes. */
    fun everyType(seed: Int): List<SampleTensor> {
        val random = Random(seed)
        return safetensorsTypes.mapIndexed { i, type ->
            val shape = shapes[i % shapes.size]
            SampleTensor("layer.$i.${type.name.lowercase()}", type, shape, random.nextBytes(type.byteSize(shape)!!.toInt()))
        }
    }

    fun writer(tensors: List<SampleTensor>, metadata: Map<String, String> = emptyMap()): SafetensorsWriter {
        val writer = SafetensorsWriter()
        for ((key, value) in metadata) writer.metadata(key, value)
        for (t in tensors) writer.addTensor(t.name, t.type, t.shape, TensorData.of(ByteBuffer.wrap(t.bytes)))
        return writer
    }

    /** A file with the given header text, its length field set from it unless [declaredLength] is given. */
    fun raw(header: String, data: ByteArray = ByteArray(0), declaredLength: Long? = null): ByteArray =
        rawBytes(header.toByteArray(Charsets.UTF_8), data, declaredLength)

    fun rawBytes(header: ByteArray, data: ByteArray = ByteArray(0), declaredLength: Long? = null): ByteArray {
        val buffer = ByteBuffer.allocate(8 + header.size + data.size).order(ByteOrder.LITTLE_ENDIAN)
        buffer.putLong(declaredLength ?: header.size.toLong()).put(header).put(data)
        return buffer.array()
    }

    fun bytesAt(file: Path, offset: Long, size: Long): ByteArray = FileChannel.open(file).use { channel ->
        val buffer = ByteBuffer.allocate(size.toInt())
        while (buffer.hasRemaining()) check(channel.read(buffer, offset + buffer.position()) >= 0)
        buffer.array()
    }

    /** Checks that every sample is in [file] as written: name, type, ggml shape, size and the bytes themselves. */
    fun assertHolds(file: SafetensorsFile, samples: List<SampleTensor>) {
        for (sample in samples) {
            val info = file.tensor(sample.name) ?: throw AssertionError("${sample.name} missing from ${file.path}")
            assertEquals(sample.type, info.type, sample.name)
            assertEquals(sample.readShape, info.shape, sample.name)
            assertEquals(sample.bytes.size.toLong(), info.byteSize, sample.name)
            assertTrue(sample.bytes.contentEquals(bytesAt(file.path, info.offset, info.byteSize)), "bytes of ${sample.name}")
        }
    }

    /** Writes [bytes] to [file], reads it and returns the rejection, checking that it names [file] and [tensor]. */
    fun assertRejected(file: Path, bytes: ByteArray, tensor: String?, reasonPart: String): ModelFileException {
        Files.write(file, bytes)
        val e = assertThrows<ModelFileException> { SafetensorsFile.read(file) }
        assertEquals(file, e.file(), e.message)
        assertEquals(tensor, e.tensor().orElse(null), e.message)
        assertTrue(e.reason().contains(reasonPart), "expected '$reasonPart' in: ${e.message}")
        return e
    }
}
