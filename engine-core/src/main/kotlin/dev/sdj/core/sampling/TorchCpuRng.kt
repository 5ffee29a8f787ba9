package dev.sdj.core.sampling

/**
 * What `torch.manual_seed(seed); torch.randn(...)` gives on the CPU, and stable-diffusion.cpp's
 * "cpu" RNG (its port of the same code): an MT19937 stream shaped by PyTorch's two normal paths.
 *
 * - Fewer than 16 values: each is a double Box-Muller draw from two 53-bit uniforms; the pair's
 *   sine half is cached and returned by the next draw, also across calls, as torch's generator does.
 * - 16 or more: all values are first filled with 24-bit float uniforms, then each block of 16 is
 *   transformed in place pairing `j` with `j + 8`; a ragged tail is handled by drawing 16 fresh
 *   uniforms for the last 16 positions and transforming those again.
 *
 * Only the low 32 bits of the seed reach the twister, as in torch. The 16-value transform follows
 * sd.cpp (float angle from float 2π, as torch's AVX2 kernel); torch's kernels approximate or round
 * log/sin/cos differently, so values agree with torch to a few float ulps, not always bit for bit.
 */
class TorchCpuRng(seed: Long) : NoiseRng {
    private val mt = Mt19937(seed.toInt())
    private var cachedGauss = 0.0
    private var hasCachedGauss = false

    override fun randn(count: Int): FloatArray {
        require(count >= 0) { "count must not be negative: $count" }
        val out = FloatArray(count)
        if (count < 16) {
            for (i in 0 until count) out[i] = nextGaussian().toFloat()
            return out
        }
        for (i in 0 until count) out[i] = nextUniformFloat()
        for (start in 0..count - 16 step 16) fill16(out, start)
        if (count % 16 != 0) {
            val start = count - 16
            for (i in start until count) out[i] = nextUniformFloat()
            fill16(out, start)
        }
        return out
    }

    private fun nextGaussian(): Double {
        if (hasCachedGauss) {
            hasCachedGauss = false
            return cachedGauss
        }
        val u1 = nextUniformDouble()
        val u2 = nextUniformDouble()
        val r = Math.sqrt(-2.0 * Math.log1p(-u2))
        val theta = 2.0 * Math.PI * u1
        cachedGauss = r * Math.sin(theta)
        hasCachedGauss = true
        return r * Math.cos(theta)
    }

    /** torch's random64(): the first 32-bit draw is the high half. */
    private fun nextUniformDouble(): Double {
        val hi = mt.nextInt().toLong() and 0xffffffffL
        val lo = mt.nextInt().toLong() and 0xffffffffL
        return (((hi shl 32) or lo) and MASK_53) * TWO_POW_M53
    }

    private fun nextUniformFloat(): Float = (mt.nextInt() and MASK_24) * TWO_POW_M24

    /** Box-Muller on 16 uniforms in float; `1 - u` keeps log's argument in (0, 1]. */
    private fun fill16(data: FloatArray, start: Int) {
        for (j in start until start + 8) {
            val u1 = 1f - data[j]
            val u2 = data[j + 8]
            val radius = Math.sqrt((-2f * Math.log(u1.toDouble()).toFloat()).toDouble()).toFloat()
            val theta = TWO_PI_F * u2
            data[j] = radius * Math.cos(theta.toDouble()).toFloat()
            data[j + 8] = radius * Math.sin(theta.toDouble()).toFloat()
        }
    }

    private companion object {
        const val MASK_53 = (1L shl 53) - 1
        const val TWO_POW_M53 = 1.0 / (1L shl 53)
        const val MASK_24 = (1 shl 24) - 1
        const val TWO_POW_M24 = 1f / (1 shl 24)
        /** 2π rounded to float, the factor both torch's AVX2 kernel and sd.cpp multiply by. */
        const val TWO_PI_F = 6.2831855f
    }
}
