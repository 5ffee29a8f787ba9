package dev.sdj.core.family

import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.SdCppQuantizer
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Random

/**
 * Random weights for the generated test and benchmark models, as a file stores them: deterministic in (seed, key),
 * so every layout of one model holds the same values, and quantized types derived from the f16 values, as converters
 * quantize an f16 checkpoint.
 *
 * @param fanInScaled weights ~ N(0, 1/fan-in), which keeps a deep random network's activations bounded; false gives
 *   N(0, 0.05) everywhere, under which a block's residual branch stays a few percent of its output
 * @param sampledBlocks tensors larger than [SAMPLE_VALUES] are assembled from blocks drawn at random out of a sample
 *   of that many values (quantized blocks, or runs of [FLOAT_RUN] values of a float type), instead of drawing and
 *   quantizing every value: the values keep their distribution and the file its types, at memory-copy speed, which
 *   a full-size model (12 billion values for Flux's DiT; 2.8 billion bf16 values in LTX-2.3's connectors) needs
 */
class RandomTensorBytes(private val seed: Long, private val fanInScaled: Boolean = true, private val sampledBlocks: Boolean = false) {

    /**
     * The bytes of a tensor of PyTorch shape [torchShape] stored as [type]; [key] names it uniquely in the model.
     * Norm scales ([normScale]) are drawn around 1, everything else around 0.
     */
    fun bytes(key: String, type: DType, torchShape: List<Long>, normScale: Boolean): ByteBuffer {
        val count = torchShape.fold(1L) { a, b -> a * b }.toInt()
        val rnd = Random(seed * 1_000_003 + key.hashCode())
        val fanIn = torchShape.drop(1).fold(1L) { a, b -> a * b }
        val std = if (torchShape.size == 1 || !fanInScaled) 0.05 else 1.0 / Math.sqrt(fanIn.toDouble())
        val mean = if (normScale) 1.0 else 0.0
        if (type.isQuantized) {
            val rowLength = torchShape.last()
            val rows = count / rowLength
            val drawnRows = if (sampledBlocks) minOf(rows, maxOf(1L, SAMPLE_VALUES / rowLength)) else rows
            val values = ByteBuffer.allocateDirect((drawnRows * rowLength * 4).toInt()).order(ByteOrder.nativeOrder())
            repeat((drawnRows * rowLength).toInt()) { values.putFloat(HalfFloat.toFloat(HalfFloat.fromFloat((mean + rnd.nextGaussian() * std).toFloat()))) }
            val sample = quantized(type, values.flip(), rowLength)
            return if (drawnRows == rows) sample else assembled(sample, type.blockBytes, count / type.blockSize * type.blockBytes.toLong(), rnd)
        }
        val drawn = if (sampledBlocks) minOf(count.toLong(), SAMPLE_VALUES).toInt() else count
        val out = ByteBuffer.allocate(drawn * type.blockBytes).order(ByteOrder.LITTLE_ENDIAN)
        repeat(drawn) {
            val v = mean + rnd.nextGaussian() * std
            when (type) {
                DType.F32 -> out.putFloat(v.toFloat())
                DType.F16 -> out.putShort(HalfFloat.fromFloat(v.toFloat()))
                DType.BF16 -> out.putShort((java.lang.Float.floatToIntBits(v.toFloat()) ushr 16).toShort())
                // Any code but the NaN/infinity ones is a valid weight; the values' distribution does not matter here.
                DType.F8_E4M3 -> out.put((rnd.nextInt(0x7f) or (if (rnd.nextBoolean()) 0x80 else 0)).toByte())
                DType.F8_E5M2 -> out.put((rnd.nextInt(0x7c) or (if (rnd.nextBoolean()) 0x80 else 0)).toByte())
                else -> throw IllegalArgumentException("the generator writes float and ggml-quantized types, not $type")
            }
        }
        out.flip()
        return if (drawn == count) out else assembled(out, FLOAT_RUN * type.blockBytes, count.toLong() * type.blockBytes, rnd)
    }

    /** [totalBytes] of blocks of [blockBytes] drawn uniformly, with [rnd], from [sample] (the last one cut short if need be). */
    private fun assembled(sample: ByteBuffer, blockBytes: Int, totalBytes: Long, rnd: Random): ByteBuffer {
        val sampleBlocks = sample.remaining() / blockBytes
        val from = ByteArray(sample.remaining()).also { sample.get(it) }
        val out = ByteArray(totalBytes.toInt())
        for (at in out.indices step blockBytes) {
            System.arraycopy(from, rnd.nextInt(sampleBlocks) * blockBytes, out, at, minOf(blockBytes, out.size - at))
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN)
    }

    /** [values] quantized to [type] by ggml as stable-diffusion.cpp's converter quantizes an f16 checkpoint. */
    private fun quantized(type: DType, values: ByteBuffer, rowLength: Long): ByteBuffer {
        val ggmlType = type.ggml ?: throw IllegalArgumentException("$type is no ggml type")
        val out = ByteBuffer.allocateDirect(values.remaining() / 4 / type.blockSize * type.blockBytes)
        SdCppQuantizer.quantize(ggmlType, values, rowLength, out)
        return out.flip().order(ByteOrder.LITTLE_ENDIAN)
    }

    private companion object {
        /** Enough values for thousands of distinct blocks per tensor, quantized in milliseconds. */
        const val SAMPLE_VALUES = 1L shl 18

        /** Values of a float type copied together from the sample: long enough to copy at memory speed. */
        const val FLOAT_RUN = 256
    }
}
