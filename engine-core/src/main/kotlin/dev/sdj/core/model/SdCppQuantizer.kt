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

    /**
     * Quantizes the remaining f32 values of [f32] (whole rows of [rowLength]) into [dst] as [type]; advances both
     * and returns the bytes written.
     */
    fun quantize(type: GgmlType, f32: ByteBuffer, rowLength: Long, dst: ByteBuffer): Long =
        Ggml.get().quantization().quantize(type, f32, rowLength, ones(rowLength), dst)

    /** A direct buffer of [rowLength] ones, shared read-only: each caller gets its own position. */
    private fun ones(rowLength: Long): ByteBuffer = uniform.computeIfAbsent(rowLength) {
        val b = ByteBuffer.allocateDirect(Math.toIntExact(rowLength * 4)).order(ByteOrder.nativeOrder())
        repeat(rowLength.toInt()) { b.putFloat(1f) }
        b.flip()
    }.duplicate()
}
