package dev.sdj.core.family

import dev.sdj.core.model.DType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Sampled blocks: a large quantized tensor is whole blocks of the small quantized sample, a large float tensor runs of
 * 256 values of its sample; deterministic in the key.
 */
class RandomTensorBytesSampledTest {
    private val shape = listOf(2048L, 1024L)   // 2M values, 8 times the sample

    private fun blocks(bytes: java.nio.ByteBuffer, blockBytes: Int): List<List<Byte>> {
        val all = ByteArray(bytes.remaining()).also { bytes.duplicate().get(it) }
        return all.toList().chunked(blockBytes)
    }

    @Test
    fun `a large tensor is the right size, repeats from its sample and is the same for the same key`() {
        val sampled = RandomTensorBytes(1, sampledBlocks = true)
        val a = sampled.bytes("w", DType.Q8_0, shape, normScale = false)
        assertEquals(2048 * 1024 / 32 * 34, a.remaining())
        assertEquals(a, sampled.bytes("w", DType.Q8_0, shape, normScale = false))
        val distinct = blocks(a, 34).toSet().size
        assertTrue(distinct <= (1 shl 18) / 32, "at most the sample's $distinct blocks")
        assertTrue(distinct > 1000, "many distinct blocks, not one repeated: $distinct")
        // Below the sample size every value is quantized, as without sampling.
        val small = listOf(64L, 1024L)
        assertEquals(RandomTensorBytes(1).bytes("s", DType.Q8_0, small, false), sampled.bytes("s", DType.Q8_0, small, false))
    }

    /** 2047 × 1025 bf16 values: 8 times the sample, and not whole runs, so the last run is cut short. */
    @Test
    fun `a large float tensor is runs of its sample, keeps its spread and is the same for the same key`() {
        val floatShape = listOf(2047L, 1025L)
        val sampled = RandomTensorBytes(1, sampledBlocks = true)
        val a = sampled.bytes("f", DType.BF16, floatShape, normScale = false)
        assertEquals(2047 * 1025 * 2, a.remaining())
        assertEquals(a, sampled.bytes("f", DType.BF16, floatShape, normScale = false))
        val runs = blocks(a, 512).dropLast(1).toSet().size
        assertTrue(runs in 1000..(1 shl 18) / 256, "whole runs are the sample's, many distinct: $runs")
        val values = a.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer()
        val std = Math.sqrt((0 until values.remaining()).sumOf { i ->
            val v = java.lang.Float.intBitsToFloat(values.get(i).toInt() shl 16).toDouble()
            v * v
        } / values.remaining())
        assertEquals(1 / Math.sqrt(1025.0), std, 0.01 / Math.sqrt(1025.0), "fan-in scaled spread")
        val small = listOf(64L, 1024L)
        assertEquals(RandomTensorBytes(1).bytes("s", DType.BF16, small, false), sampled.bytes("s", DType.BF16, small, false))
    }
}
