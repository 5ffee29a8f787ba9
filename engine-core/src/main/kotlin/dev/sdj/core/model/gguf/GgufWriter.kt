package dev.sdj.core.model.gguf

import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.channels.WritableByteChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.StandardOpenOption
import java.util.concurrent.ThreadLocalRandom

/**
 * Writes GGUF version 3 files, for tiny-model generators and tests. Metadata and tensor infos are collected first;
 * [write] then streams each tensor's [TensorData], so the file may be far larger than the heap. Tensor data is
 * aligned to `general.alignment` when put (a UINT32 power of two), else 32 bytes.
 */
class GgufWriter {
    private val values = LinkedHashMap<String, GgufValue>()
    private val tensors = LinkedHashMap<String, Tensor>()

    /** Sets [key] to [value], replacing an earlier value but keeping the key's first position. */
    fun put(key: String, value: GgufValue): GgufWriter {
        require(key != GgufFormat.ALIGNMENT_KEY || GgufFormat.alignmentOf(value) != null) {
            "${GgufFormat.ALIGNMENT_KEY} must be a UINT32 power of two greater than 0, not $value"
        }
        values[key] = value
        return this
    }

    fun put(key: String, value: String): GgufWriter = put(key, GgufValue.string(value))
    fun put(key: String, value: Boolean): GgufWriter = put(key, GgufValue.bool(value))
    fun put(key: String, value: Float): GgufWriter = put(key, GgufValue.float32(value))

    /** UINT32, the type GGUF conventions use for counts and sizes (e.g. `general.alignment`, `*.block_count`). */
    fun putUInt32(key: String, value: Long): GgufWriter = put(key, GgufValue.uint32(value))
    fun putInt32(key: String, value: Int): GgufWriter = put(key, GgufValue.int32(value))
    fun putStrings(key: String, value: List<String>): GgufWriter = put(key, GgufValue.stringArray(value))

    /**
     * Adds a tensor; [data] must write exactly the bytes [type] and [shape] need, or [write] fails.
     *
     * @param shape element counts in ggml order (dimension 0 first), 1 to 4 of them
     */
    fun addTensor(name: String, type: DType, shape: List<Long>, data: TensorData): GgufWriter {
        require(name.isNotEmpty()) { "a tensor needs a name" }
        require(name !in tensors) { "tensor '$name' is added twice" }
        require(type.ggml != null) { "tensor '$name': $type has no ggml type, so GGUF cannot store it" }
        require(shape.size in 1..GgufFormat.MAX_DIMS) { "tensor '$name': GGUF allows 1 to ${GgufFormat.MAX_DIMS} dimensions, not ${shape.size}" }
        require(shape.all { it > 0 }) { "tensor '$name': dimensions must be positive: $shape" }
        val size = requireNotNull(type.byteSize(shape)) {
            "tensor '$name': shape $shape is impossible for $type (overflow, or dimension 0 not a multiple of ${type.blockSize})"
        }
        tensors[name] = Tensor(type, shape.toList(), size, data)
        return this
    }

    /**
     * Writes the file to a temporary file beside [path], then moves it over [path], so a failure leaves no partial
     * file and any earlier file at [path] intact.
     *
     * @throws IllegalStateException when a tensor's data does not write its declared byte size
     */
    @Throws(IOException::class)
    fun write(path: Path) {
        val alignment = values[GgufFormat.ALIGNMENT_KEY]?.let(GgufFormat::alignmentOf) ?: GgufFormat.DEFAULT_ALIGNMENT
        val offsets = dataOffsets(alignment)
        val header = header(offsets, alignment)
        val target = path.toAbsolutePath()
        val temp = target.resolveSibling(".${target.fileName}.${java.lang.Long.toHexString(ThreadLocalRandom.current().nextLong())}.tmp")
        try {
            FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).use { channel ->
                writeFully(channel, header)
                val dataStart = channel.position()
                for ((i, entry) in tensors.entries.withIndex()) {
                    writeZeros(channel, dataStart + offsets[i] - channel.position())
                    writeData(channel, entry.key, entry.value)
                }
                channel.force(true)
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE)
        } catch (e: Throwable) {
            runCatching { Files.deleteIfExists(temp) }.exceptionOrNull()?.let(e::addSuppressed)
            throw e
        }
    }

    private fun dataOffsets(alignment: Long): List<Long> {
        var next = 0L
        return tensors.values.map { t ->
            GgufFormat.alignUp(next, alignment).also { next = it + t.size }
        }
    }

    private fun header(offsets: List<Long>, alignment: Long): ByteBuffer {
        val out = GgufOutput()
        out.bytes(GgufFormat.MAGIC)
        out.u32(GgufFormat.VERSION)
        out.u64(tensors.size.toLong())
        out.u64(values.size.toLong())
        for ((key, value) in values) {
            out.string(key)
            out.typedValue(value)
        }
        for ((i, entry) in tensors.entries.withIndex()) {
            val t = entry.value
            out.string(entry.key)
            out.u32(t.shape.size)
            t.shape.forEach(out::u64)
            out.u32(t.type.ggml!!.value)
            out.u64(offsets[i])
        }
        out.zeros((GgufFormat.alignUp(out.size.toLong(), alignment) - out.size).toInt())
        return out.toBuffer()
    }

    private fun writeData(channel: FileChannel, name: String, tensor: Tensor) {
        val bounded = BoundedChannel(channel, name, tensor.size)
        tensor.data.writeTo(bounded)
        check(bounded.written == tensor.size) {
            "tensor '$name': data wrote ${bounded.written} bytes, but ${tensor.type} ${tensor.shape} needs ${tensor.size}"
        }
    }

    private fun writeZeros(channel: FileChannel, count: Long) {
        var left = count
        val zeros = ByteBuffer.allocate(minOf(count, ZERO_CHUNK).toInt())
        while (left > 0) {
            writeFully(channel, zeros.clear().limit(minOf(left, ZERO_CHUNK).toInt()))
            left -= ZERO_CHUNK
        }
    }

    private fun writeFully(channel: WritableByteChannel, bytes: ByteBuffer) {
        while (bytes.hasRemaining()) channel.write(bytes)
    }

    private class Tensor(val type: DType, val shape: List<Long>, val size: Long, val data: TensorData)

    /** Stops a tensor's data at its declared size, so too much data fails before it shifts the tensors after it. */
    private class BoundedChannel(private val target: FileChannel, private val name: String, private val limit: Long) : WritableByteChannel {
        var written = 0L
            private set

        override fun write(src: ByteBuffer): Int {
            check(src.remaining() <= limit - written) {
                "tensor '$name': data writes more than the $limit bytes its type and shape need"
            }
            return target.write(src).also { written += it }
        }

        override fun isOpen(): Boolean = target.isOpen

        // The file belongs to the writer; a TensorData closing its channel must not end the file.
        override fun close() {}
    }

    private companion object {
        const val ZERO_CHUNK = 64L * 1024
    }
}
