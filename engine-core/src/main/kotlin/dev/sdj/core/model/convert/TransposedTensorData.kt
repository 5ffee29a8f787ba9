package dev.sdj.core.model.convert

import dev.sdj.api.ModelFileException
import dev.sdj.core.memory.ElementConversion
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
 * The 2-D matrix [ref] transposed and stored as [target]: read whole (it is a text projection, a few MB), decoded to
 * f32, transposed, and encoded as [ConvertedTensorData] encodes rows.
 */
internal class TransposedTensorData(private val ref: TensorRef, private val target: DType) : TensorData {
    override fun writeTo(out: WritableByteChannel) {
        require(ref.shape.size == 2) { "only a matrix transposes: '${ref.info.name}' is ${ref.shape}" }
        val (cols, rows) = ref.shape.map { Math.toIntExact(it) }
        val source = ByteBuffer.allocateDirect(Math.toIntExact(ref.byteSize)).order(ByteOrder.LITTLE_ENDIAN)
        try {
            FileChannel.open(ref.file.path, StandardOpenOption.READ).use { channel ->
                while (source.hasRemaining()) if (channel.read(source, ref.fileOffset + source.position()) < 0) throw IOException("unexpected end of file")
            }
        } catch (e: IOException) {
            throw ModelFileException(ref.file.path, ref.info.name, "cannot read: ${e.message}", e)
        }
        source.flip()
        val floats = ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN)
        ElementConversion.between(ref.type, GgmlType.F32, cols.toLong())?.convert(source, floats) ?: floats.put(source)
        floats.flip()
        val transposed = ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN)
        for (c in 0 until cols) for (r in 0 until rows) transposed.putFloat(floats.getFloat((r * cols + c) * 4))
        transposed.flip()
        val encoded = if (target == DType.F32) transposed else {
            ByteBuffer.allocateDirect(target.byteSize(listOf(rows.toLong(), cols.toLong()))!!.toInt()).also {
                SdCppQuantizer.quantize(target.ggml!!, transposed, rows.toLong(), it)
                it.flip()
            }
        }
        while (encoded.hasRemaining()) out.write(encoded)
    }
}
