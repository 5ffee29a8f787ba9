package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * Expected values are torch's printed output (4 decimals) from public documentation and examples:
 * the small-size path from the widely quoted `manual_seed(0|42); randn(5)`, the vectorised path
 * from `manual_seed(0)` followed by `randn(10, 4)`, `randn(4, 4)`, `randn(10, 4)` (a worked example
 * whose 40-element draws take the ragged-tail branch), kornia's docstring `randn(1, 1, 2, 4, 6)`
 * (48, no tail), and `manual_seed(42); randn(1, 4, 8)` from burn's ONNX tests.
 */
class RngTorchCpuTest {
    private val tolerance = 6e-5f

    @Test
    fun `mt19937 matches the standard's check values`() {
        // [rand.predef]: the 10000th output of a default-seeded (5489) mt19937 is 4123659995.
        val mt = Mt19937(5489)
        assertEquals(3499211612L, mt.nextInt().toLong() and 0xffffffffL)
        repeat(9998) { mt.nextInt() }
        assertEquals(4123659995L, mt.nextInt().toLong() and 0xffffffffL)
    }

    @Test
    fun `small draws use the scalar Box-Muller path`() {
        assertArrayEquals(floatArrayOf(1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f), TorchCpuRng(0).randn(5), tolerance)
        assertArrayEquals(floatArrayOf(0.3367f, 0.1288f, 0.2345f, 0.2303f, -1.1229f, -0.1863f), TorchCpuRng(42).randn(6), tolerance)
    }

    @Test
    fun `the cached second normal carries over between calls, as in torch's generator`() {
        val whole = TorchCpuRng(3).randn(5)
        val rng = TorchCpuRng(3)
        assertArrayEquals(whole, rng.randn(3) + rng.randn(2))
    }

    @Test
    fun `draws of 16 or more use the blockwise path, ragged tails recomputed`() {
        val rng = TorchCpuRng(0)
        assertArrayEquals(floatArrayOf(
            -1.1258f, -1.1524f, -0.2506f, -0.4339f, 0.8487f, 0.6920f, -0.3160f, -2.1152f,
            0.3223f, -1.2633f, 0.3500f, 0.3081f, 0.1198f, 1.2377f, 1.1168f, -0.2473f,
            -1.3527f, -1.6959f, 0.5667f, 0.7935f, 0.5988f, -1.5551f, -0.3414f, 1.8530f,
            -0.2159f, -0.7425f, 0.5627f, 0.2596f, -0.1740f, -0.6787f, 0.9383f, 0.4889f,
            1.2032f, 0.0845f, -1.2001f, -0.0048f, -0.5181f, -0.3067f, -1.5810f, 1.7066f), rng.randn(40), tolerance)
        assertArrayEquals(floatArrayOf(
            0.2055f, -0.4503f, -0.5731f, -0.5554f, 0.5943f, 1.5419f, 0.5073f, -0.5910f,
            -1.3253f, 0.1886f, -0.0691f, -0.4949f, -1.4959f, -0.1938f, 0.4455f, 1.3253f), rng.randn(16), tolerance)
        assertArrayEquals(floatArrayOf(
            1.5091f, 2.0820f, 1.7067f, 2.3804f, -1.1256f, -0.3170f, -1.0925f, -0.0852f,
            0.3276f, -0.7607f, -1.5991f, 0.0185f, -0.7504f, 0.1854f, 0.6211f, 0.6382f,
            -0.0033f, -0.5344f, 1.1687f, 0.3945f, 1.9415f, 0.7915f, -0.0203f, -0.4372f,
            -0.2188f, -2.4351f, -0.0729f, -0.0340f, 0.9625f, 0.3492f, -0.9215f, -0.0562f,
            -0.6227f, -0.4637f, 1.9218f, -0.4025f, 0.1239f, 1.1648f, 0.9234f, 1.3873f), rng.randn(40), tolerance)
    }

    @Test
    fun `whole blocks of 16 have no tail`() {
        assertArrayEquals(floatArrayOf(
            -1.1258f, -1.1524f, -0.2506f, -0.4339f, 0.8487f, 0.6920f, -0.3160f, -2.1152f,
            0.3223f, -1.2633f, 0.3500f, 0.3081f, 0.1198f, 1.2377f, 1.1168f, -0.2473f,
            -1.3527f, -1.6959f, 0.5667f, 0.7935f, 0.5988f, -1.5551f, -0.3414f, 1.8530f,
            0.7502f, -0.5855f, -0.1734f, 0.1835f, 1.3894f, 1.5863f, 0.9463f, -0.8437f,
            -0.6136f, 0.0316f, -0.4927f, 0.2484f, 0.4397f, 0.1124f, 0.6408f, 0.4412f,
            -0.1023f, 0.7924f, -0.2897f, 0.0525f, 0.5229f, 2.3022f, -1.4689f, -1.5867f), TorchCpuRng(0).randn(48), tolerance)
        assertArrayEquals(floatArrayOf(
            1.9269f, 1.4873f, 0.9007f, -2.1055f, 0.6784f, -1.2345f, -0.0431f, -1.6047f,
            -0.7521f, 1.6487f, -0.3925f, -1.4036f, -0.7279f, -0.5594f, -0.7688f, 0.7624f,
            1.6423f, -0.1596f, -0.4974f, 0.4396f, -0.7581f, 1.0783f, 0.8008f, 1.6806f,
            1.2791f, 1.2964f, 0.6105f, 1.3347f, -0.2316f, 0.0418f, -0.2516f, 0.8599f), TorchCpuRng(42).randn(32), tolerance)
    }

    @Test
    fun `only the seed's low 32 bits reach the twister, as in torch`() {
        assertArrayEquals(TorchCpuRng(0xffffffffL).randn(20), TorchCpuRng(-1).randn(20))
        assertArrayEquals(TorchCpuRng(0).randn(20), TorchCpuRng(1L shl 32).randn(20))
    }
}
