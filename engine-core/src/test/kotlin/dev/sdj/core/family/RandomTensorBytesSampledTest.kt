package dev.sdj.core.family

import dev.sdj.core.model.DType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Sampled blocks: a large quantized tensor is whole blocks of the small quantized sample, deterministic in the key. */
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
}
