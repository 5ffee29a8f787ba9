package dev.sdj.core.family.flux

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import java.util.Random
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.max

/**
 * Flux's RoPE: the host table against BFL's EmbedND in float64, and its application in the graph against BFL's
 * apply_rope. The table is cos/sin of float64 angles rounded once to f32, so it must agree to f32 rounding of values
 * ≤ 1 ([TABLE] 1e-7 [2.9e-8 … 3.0e-8]). The rotation is two f32 products and a sum per element, so [ROTATE] 1e-6
 * [6.5e-8 on the CPU and on lavapipe]; pairing the head's halves instead of adjacent channels, or swapping an axis,
 * gives errors of order 1.
 */
class FluxRopeTest {

    @Test
    fun `axes split as the architecture for 128 and in proportion for tiny heads`() {
        assertArrayEquals(intArrayOf(16, 56, 56), FluxRope.axes(128))
        assertArrayEquals(intArrayOf(4, 14, 14), FluxRope.axes(32))
        assertArrayEquals(intArrayOf(8, 28, 28), FluxRope.axes(64))
        for (bad in listOf(0, 16, 40, 48, 96 + 8)) assertThrows(IllegalArgumentException::class.java) { FluxRope.axes(bad) }
    }

    @Test
    fun `table holds cos and sin of the text and patch ids`() {
        for ((headDim, w, h, text) in listOf(listOf(32, 6, 4, 5), listOf(128, 8, 6, 3))) {
            val table = FluxRope.table(headDim, w.toLong(), h.toLong(), text.toLong())
            val angles = FluxReference64.ropeAngles(headDim, FluxRope.axes(headDim), w, h, text)
            val half = headDim / 2
            assertEquals(half * angles.size * 2, table.size)
            var err = 0.0
            for (t in angles.indices) for (i in 0 until half) {
                err = max(err, abs(table[i + half * t] - cos(angles[t][i])))
                err = max(err, abs(table[i + half * t + half * angles.size] - kotlin.math.sin(angles[t][i])))
            }
            println("block error: %-55s %.2e (bound %.0e)".format("rope table d=$headDim ${w}×$h + $text text", err, TABLE))
            assert(err <= TABLE) { "rope table d=$headDim: $err" }
        }
        // the architecture's split, spelled out: patch (row 1, column 2) of an 8-wide latent (grid 4) after 3 text tokens
        val table = FluxRope.table(128, 8, 6, 3)
        val t = 3 + 1 * 4 + 2
        assertEquals(1f, table[0 + 64 * 0], "text tokens are not rotated")
        assertEquals(cos(1.0).toFloat(), table[8 + 64 * t], "pair 8 opens the row axis with frequency 1")
        assertEquals(cos(2.0).toFloat(), table[8 + 28 + 64 * t], "pair 36 opens the column axis with frequency 1")
        assertEquals(1f, table[7 + 64 * t], "the index axis is 0 for the image")
    }

    private fun rotate(rw: RandomWeights, device: Device, x: Nd, table: FloatArray, heads: Int): FloatArray {
        val pe = Nd.of(table, x.ne(0) / heads / 2, x.ne(1), 2)
        return rw.run(device, mapOf("x" to x, "pe" to pe)) { g ->
            val i = listOf("x" to x, "pe" to pe).associate { (n, v) -> n to g.input(n, GgmlType.F32, *v.ne.map { it.toLong() }.toLongArray()) }
            FluxRope.apply(g.nn.ctx, i.getValue("x"), i.getValue("pe"), heads)
        }
    }

    private fun checkRotation(device: Device) {
        RandomWeights(1).use { rw ->
            val heads = 3
            val headDim = 32
            val x = Nd.random(Random(2), 1.0, heads * headDim, 5 + 6, 1)
            val table = FluxRope.table(headDim, 6, 4, 5)
            val out = rotate(rw, device, x, table, heads)
            val expected = FluxReference64.rope(x, FluxReference64.ropeAngles(headDim, FluxRope.axes(headDim), 6, 4, 5), heads)
            assertClose(out, expected, ROTATE, "rope on 3 heads of 32, 11 tokens (${device.name()})")
        }
    }

    @Test
    fun `rotation in the graph agrees with apply_rope on the cpu`() = checkRotation(dev.sdj.ggml.Ggml.get().cpu())

    @Test
    fun `rotation in the graph agrees with apply_rope on vulkan`() = checkRotation(vulkanOrSkip())

    private companion object {
        const val TABLE = 1e-7
        const val ROTATE = 1e-6
    }
}

/** The first Vulkan device (lavapipe in CI), or null. */
fun vulkanIfPresent(): Device? = dev.sdj.ggml.Ggml.get().devices().firstOrNull { it.backendName() == "Vulkan" }

/** The first Vulkan device; the test is skipped where there is none. */
fun vulkanOrSkip(): Device {
    val vk = vulkanIfPresent()
    assumeTrue(vk != null, "no Vulkan device (needs libvulkan1, mesa-vulkan-drivers and GGML_VK_VISIBLE_DEVICES=0)")
    return vk!!
}
