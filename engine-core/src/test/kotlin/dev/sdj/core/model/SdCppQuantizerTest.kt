package dev.sdj.core.model

import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Random

/**
 * stable-diffusion.cpp hands ggml a uniform importance matrix, which switches q4_0 … q5_1 from scaling each block by
 * its largest value to searching for the scale with the least error: different bytes, smaller error.
 */
class SdCppQuantizerTest {
    private val rowLength = 256L
    private val rows = 64
    private val values: FloatArray = Random(3).let { r -> FloatArray(rows * rowLength.toInt()) { (r.nextGaussian() * 0.05).toFloat() } }

    private fun floats(): ByteBuffer = ByteBuffer.allocateDirect(values.size * 4).order(ByteOrder.nativeOrder()).also { b -> values.forEach { b.putFloat(it) }; b.flip() }

    private fun quantized(type: GgmlType, sdCpp: Boolean): ByteBuffer {
        val out = ByteBuffer.allocateDirect(Ggml.get().rowSize(type, rowLength).toInt() * rows)
        if (sdCpp) SdCppQuantizer.quantize(type, floats(), rowLength, out) else Ggml.get().quantization().quantize(type, floats(), rowLength, null, out)
        return out.flip()
    }

    private fun squaredError(type: GgmlType, q: ByteBuffer): Double {
        val f = ByteBuffer.allocateDirect(values.size * 4).order(ByteOrder.nativeOrder())
        Ggml.get().quantization().dequantize(type, q, f)
        f.flip()
        return values.indices.sumOf { val d = f.getFloat() - values[it]; (d * d).toDouble() }
    }

    @Test
    fun `q4_0 to q5_1 come out as sd cpp writes them, with less error than the largest-value scaling`() {
        for (type in listOf(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1)) {
            val sdCpp = quantized(type, true)
            val plain = quantized(type, false)
            assertFalse(sdCpp == plain, "$type: the importance matrix changes the bytes")
            assertTrue(squaredError(type, sdCpp) < squaredError(type, plain), "$type error")
        }
    }

    @Test
    fun `a large batch quantized in parallel row ranges gives the bytes of one call`() {
        val row = 512L
        val count = 1024
        fun input() = ByteBuffer.allocateDirect(count * row.toInt() * 4).order(ByteOrder.nativeOrder()).also { b ->
            val g = Random(5); repeat(count * row.toInt()) { b.putFloat((g.nextGaussian() * 0.02).toFloat()) }; b.flip()
        }
        val ones = ByteBuffer.allocateDirect(row.toInt() * 4).order(ByteOrder.nativeOrder()).also { b -> repeat(row.toInt()) { b.putFloat(1f) }; b.flip() }
        for (type in listOf(GgmlType.Q4_1, GgmlType.Q4_K)) {
            val size = Ggml.get().rowSize(type, row).toInt() * count
            val whole = ByteBuffer.allocateDirect(size).also { Ggml.get().quantization().quantize(type, input(), row, ones.duplicate(), it) }.flip()
            val split = ByteBuffer.allocateDirect(size).also { assertEquals(size.toLong(), SdCppQuantizer.quantize(type, input(), row, it)) }.flip()
            assertEquals(whole, split, "$type")
        }
    }
}
