package dev.sdj.core.memory

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.Tensor
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * Copies tensor bytes from model files into parameter buffers: the file is memory-mapped a window at a time and
 * ggml copies straight from the mapping (no Java heap in between); data that needs another type on the device is
 * converted window by window into one reusable direct buffer. Tensors [patch] changes are assembled on the host
 * first, changed there and written whole.
 */
class ParamLoader(private val windowBytes: Long = 64L shl 20, private val patch: WeightPatch? = null) : AutoCloseable {
    private val channels = HashMap<Path, FileChannel>()
    private var staging: ByteBuffer? = null

    /** What a load moved: bytes read from files and bytes written to buffers. */
    data class Stats(val bytesRead: Long, val bytesWritten: Long)

    /**
     * Allocates [specs] in [bufferType] under [owner] through [ledger] and loads them from [sources] — but for those of
     * [inPlace], served from their mapped files; returns the buffer and the bytes written. A failed load frees the buffer again, so nothing half-loaded stays in the ledger.
     */
    fun allocateAndLoad(ggml: Ggml, ledger: MemoryLedger, bufferType: BufferType, specs: List<ParamSpec>,
                        sources: Map<String, TensorRef>, owner: String, inPlace: Map<String, TensorRef> = emptyMap()): Pair<ParamBuffer, Long> {
        val buffer = ParamBuffer.allocate(ggml, ledger, bufferType, specs, owner, inPlace)
        try {
            return buffer to load(buffer, sources).bytesWritten
        } catch (e: Throwable) {
            buffer.close()
            throw e
        }
    }

    /** Loads every tensor of [target] not served from a mapped file from its entry in [sources]; a missing source is an error naming it. */
    fun load(target: ParamBuffer, sources: Map<String, TensorRef>): Stats {
        var read = 0L
        var written = 0L
        for (name in target.copiedNames) {
            val ref = sources[name] ?: throw IllegalArgumentException("no source for tensor '$name' of '${target.owner}'")
            written += load(target.tensor(name), ref, name)
            read += ref.byteSize
        }
        return Stats(read, written)
    }

    /** Loads parameter [name] into [tensor] from [ref], changed by the patch when it changes [name]; returns the bytes written. */
    fun load(tensor: Tensor, ref: TensorRef, name: String): Long {
        if (patch == null || name !in patch.names) return load(tensor, ref)
        val unpatched = ElementConversion.littleEndian(ByteBuffer.allocateDirect(Math.toIntExact(tensor.nbytes())))
        copy(tensor, ref) { window, at -> unpatched.put(Math.toIntExact(at), window, window.position(), window.remaining()) }
        val values = WeightValues.decode(tensor.type(), unpatched, tensor.ne(0))
        patch.apply(name, values)
        tensor.write(WeightValues.encode(tensor.type(), values, tensor.ne(0), tensor.nbytes()), 0)
        return tensor.nbytes()
    }

    /** Loads one tensor as the file holds it (converted to the device type); returns the bytes written to it. */
    fun load(tensor: Tensor, ref: TensorRef): Long = copy(tensor, ref) { window, at -> tensor.write(window, at) }

    /** Passes [ref]'s bytes, converted to [tensor]'s type, to [sink] window by window with their offset; returns the bytes passed. */
    private fun copy(tensor: Tensor, ref: TensorRef, sink: (ByteBuffer, Long) -> Unit): Long {
        val conversion = ElementConversion.between(ref.type, tensor.type(), tensor.ne(0))
        val expected = if (conversion == null) ref.byteSize else ref.byteSize / conversion.sourceBytes * conversion.targetBytes
        if (expected != tensor.nbytes()) {
            throw IllegalArgumentException("tensor '${ref.info.name}' has ${ref.byteSize} bytes of ${ref.type}; " +
                "the device tensor ${tensor.type().ggmlName()} ${tensor.shape().toList()} needs ${tensor.nbytes()}")
        }
        val channel = channel(ref)
        var done = 0L
        var out = 0L
        // Windows hold whole elements (whole blocks for quantized data), and a converted window's output stays
        // within windowBytes however much wider the target type is.
        val window = if (conversion == null) windowBytes - windowBytes % 8
            else maxOf(1L, windowBytes / conversion.targetBytes) * conversion.sourceBytes
        while (done < ref.byteSize) {
            val len = minOf(window, ref.byteSize - done)
            val mapped = map(channel, ref, ref.fileOffset + done, len)
            try {
                if (conversion == null) {
                    sink(mapped, out)
                    out += len
                } else {
                    val dst = staging(len / conversion.sourceBytes * conversion.targetBytes)
                    conversion.convert(ElementConversion.littleEndian(mapped), dst)
                    dst.flip()
                    val n = dst.remaining().toLong()
                    sink(dst, out)
                    out += n
                }
            } finally {
                unmap(mapped)
            }
            done += len
        }
        return out
    }

    private fun channel(ref: TensorRef): FileChannel = channels.getOrPut(ref.file.path) {
        try {
            FileChannel.open(ref.file.path, StandardOpenOption.READ)
        } catch (e: IOException) {
            throw ModelFileException(ref.file.path, ref.info.name, "cannot open for reading: ${e.message}", e)
        }
    }

    private fun map(channel: FileChannel, ref: TensorRef, position: Long, len: Long): MappedByteBuffer {
        try {
            if (position + len > channel.size()) {
                throw ModelFileException(ref.file.path, ref.info.name, "the file is shorter than when it was read (truncated since?)")
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, position, len)
        } catch (e: IOException) {
            throw ModelFileException(ref.file.path, ref.info.name, "cannot map bytes [$position, ${position + len}): ${e.message}", e)
        }
    }

    private fun staging(bytes: Long): ByteBuffer {
        val current = staging
        if (current != null && current.capacity() >= bytes) {
            current.clear()
            current.limit(bytes.toInt())
            return ElementConversion.littleEndian(current)
        }
        val fresh = ByteBuffer.allocateDirect(bytes.toInt())
        staging = fresh
        return ElementConversion.littleEndian(fresh)
    }

    override fun close() {
        channels.values.forEach { it.close() }
        channels.clear()
        staging = null
    }

    internal companion object {
        /** Unmaps now rather than at some later GC, so loading gigabytes does not pile up mappings. */
        private val unsafe: sun.misc.Unsafe = sun.misc.Unsafe::class.java.getDeclaredField("theUnsafe")
            .apply { isAccessible = true }.get(null) as sun.misc.Unsafe

        fun unmap(buffer: MappedByteBuffer) = unsafe.invokeCleaner(buffer)
    }
}
