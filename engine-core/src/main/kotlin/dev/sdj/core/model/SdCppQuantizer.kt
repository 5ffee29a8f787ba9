package dev.sdj.core.model

import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.concurrent.ConcurrentHashMap

/**
 * ggml's quantizer called as stable-diffusion.cpp calls it, whether it converts a file or quantizes while loading:
 * every row with a uniform importance matrix (all ones), never with none. ggml reads a matrix, even a uniform one, as
 * the cue to search each block's scale for the least squared error instead of scaling by the block's largest value
 * (q4_0 … q5_1, the K-quants, the i-quants), so the bytes are the ones sd.cpp writes and the rounding error is lower:
 * on the tiny SD 1.x model q4_0 generates at 31.1 dB against f16 instead of 30.6, q4_1 at 32.8 instead of 31.1. q8_0
 * ignores the matrix; types that need a real one (iq2_xxs, iq2_xs, iq1_s) are given the same uniform one, as sd.cpp
 * does.
 */
object SdCppQuantizer {
    private val uniform = ConcurrentHashMap<Long, ByteBuffer>()

    /** Values per parallel part: below this, starting the tasks costs more than the search. */
    private const val PARALLEL_VALUES = 1L shl 16

    /**
     * Quantizes the remaining f32 values of [f32] (whole rows of [rowLength]) into [dst] as [type]; advances both
     * and returns the bytes written. The search costs up to a hundred times the plain scaling per value (q4_1), so
     * large batches are split into row ranges quantized on every processor; rows are independent, the bytes the same.
     */
    fun quantize(type: GgmlType, f32: ByteBuffer, rowLength: Long, dst: ByteBuffer): Long {
        val quantization = Ggml.get().quantization()
        val rows = f32.remaining() / 4 / rowLength
        val parts = minOf(Runtime.getRuntime().availableProcessors().toLong(), rows, rows * rowLength / PARALLEL_VALUES).toInt()
        if (parts < 2 || f32.remaining() % (4 * rowLength) != 0L) return quantization.quantize(type, f32, rowLength, ones(rowLength), dst)
        val rowBytes = Ggml.get().rowSize(type, rowLength)
        require(dst.remaining() >= rows * rowBytes) { "quantizing $rows rows to ${type.ggmlName()} needs ${rows * rowBytes} bytes, the buffer has ${dst.remaining()}" }
        val ranges = (0 until parts).map { p -> rows * p / parts until rows * (p + 1) / parts }
        ranges.parallelStream().forEach { r ->
            val count = r.last - r.first + 1
            val from = f32.slice(Math.toIntExact(f32.position() + r.first * rowLength * 4), Math.toIntExact(count * rowLength * 4))
            val to = dst.slice(Math.toIntExact(dst.position() + r.first * rowBytes), Math.toIntExact(count * rowBytes))
            quantization.quantize(type, from, rowLength, ones(rowLength), to)
        }
        f32.position(f32.limit())
        dst.position(Math.toIntExact(dst.position() + rows * rowBytes))
        return rows * rowBytes
    }

    /** A direct buffer of [rowLength] ones, shared read-only: each caller gets its own position. */
    private fun ones(rowLength: Long): ByteBuffer = uniform.computeIfAbsent(rowLength) {
        val b = ByteBuffer.allocateDirect(Math.toIntExact(rowLength * 4)).order(ByteOrder.nativeOrder())
        repeat(rowLength.toInt()) { b.putFloat(1f) }
        b.flip()
    }.duplicate()
}
