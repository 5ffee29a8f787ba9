package dev.sdj.core.model.convert

import dev.sdj.api.ModelFileException
import dev.sdj.core.memory.ElementConversion
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.model.DType
import dev.sdj.core.model.SdCppQuantizer
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.GgmlType
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.channels.WritableByteChannel
import java.nio.file.StandardOpenOption

/**
 * The bytes of one source tensor in [target], produced a batch of rows at a time when the writer reaches them, so a
 * tensor is never held whole: the source rows are mapped, decoded to f32 and re-encoded by ggml (quantized, or
 * rounded to f16/bf16). A tensor already of [target] is copied as it is. Each window is unmapped once read, so the
 * process does not hold the source's pages.
 */
internal class ConvertedTensorData(private val ref: TensorRef, private val target: DType) : TensorData {
    private val rowLength = ref.shape[0]
    private val sourceRowBytes = ref.type.byteSize(listOf(rowLength))!!

    override fun writeTo(out: WritableByteChannel) {
        try {
            FileChannel.open(ref.file.path, StandardOpenOption.READ).use { channel ->
                if (ref.type == target) copy(channel, out) else convert(channel, out)
            }
        } catch (e: IOException) {
            throw ModelFileException(ref.file.path, ref.info.name, "cannot read: ${e.message}", e)
        }
    }

    private fun copy(channel: FileChannel, out: WritableByteChannel) {
        var done = 0L
        while (done < ref.byteSize) {
            val len = minOf(WINDOW_BYTES, ref.byteSize - done)
            val mapped = channel.map(FileChannel.MapMode.READ_ONLY, ref.fileOffset + done, len)
            try {
                while (mapped.hasRemaining()) out.write(mapped)
            } finally {
                ParamLoader.unmap(mapped)
            }
            done += len
        }
    }

    private fun convert(channel: FileChannel, out: WritableByteChannel) {
        val rows = ref.byteSize / sourceRowBytes
        // Batches no larger than the tensor: small tensors (most of them) get small buffers.
        val rowsPerBatch = minOf(rows, maxOf(1L, WINDOW_BYTES / (rowLength * 4)))
        val toF32 = if (ref.type == DType.F32) null else ElementConversion.between(ref.type, GgmlType.F32, rowLength)
        val floats = ByteBuffer.allocateDirect((rowsPerBatch * rowLength * 4).toInt()).order(ByteOrder.LITTLE_ENDIAN)
        val encoded = if (target == DType.F32) null
            else ByteBuffer.allocateDirect(target.byteSize(listOf(rowLength, rowsPerBatch))!!.toInt()).order(ByteOrder.LITTLE_ENDIAN)
        var row = 0L
        while (row < rows) {
            val n = minOf(rowsPerBatch, rows - row)
            val mapped = channel.map(FileChannel.MapMode.READ_ONLY, ref.fileOffset + row * sourceRowBytes, n * sourceRowBytes)
            floats.clear()
            try {
                val source = mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN)
                if (toF32 == null) floats.put(source) else toF32.convert(source, floats)
            } finally {
                ParamLoader.unmap(mapped)
            }
            floats.flip()
            val result = if (encoded == null) floats else {
                encoded.clear()
                SdCppQuantizer.quantize(target.ggml!!, floats, rowLength, encoded)
                encoded.flip()
            }
            while (result.hasRemaining()) out.write(result)
            row += n
        }
    }

    private companion object {
        const val WINDOW_BYTES = 4L shl 20
    }
}
