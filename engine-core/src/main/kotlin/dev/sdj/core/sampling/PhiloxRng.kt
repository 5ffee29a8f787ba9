package dev.sdj.core.sampling

/**
 * stable-diffusion.cpp's default ("cuda") RNG: what `torch.randn` gives on a CUDA device, computed
 * on the CPU as AUTOMATIC1111's `rng_philox.py` does, so seeds reproduce images from those tools.
 *
 * Element `i` of the `k`-th call (k from 0) is Philox4x32-10 of counter `[k, 0, i, 0]` under key
 * `[seed low 32 bits, seed high 32 bits]`, turned into a normal by the sine half of Box-Muller on
 * output words 0 and 1; words 2 and 3 are discarded, as in the CUDA kernel being imitated.
 *
 * The uniforms are formed in float with sd.cpp's constants; log, sqrt and sin are taken in double
 * and rounded to float, which is what sd.cpp computes when its unqualified log/sin resolve to the
 * C double functions. A build that picks the float overloads differs by up to a few float ulps.
 */
class PhiloxRng(private val seed: Long) : NoiseRng {
    private var offset = 0

    override fun randn(count: Int): FloatArray {
        require(count >= 0) { "count must not be negative: $count" }
        val key0 = seed.toInt()
        val key1 = (seed ushr 32).toInt()
        val out = FloatArray(count)
        val block = IntArray(4)
        for (i in 0 until count) {
            block[0] = offset; block[1] = 0; block[2] = i; block[3] = 0
            philox4x32x10(block, key0, key1)
            out[i] = boxMullerSin(block[0], block[1])
        }
        offset++
        return out
    }

    private fun boxMullerSin(a: Int, b: Int): Float {
        // uint32 -> float rounds to 24 bits first, exactly as sd.cpp's (float) cast does.
        val u = unsignedToFloat(a) * TWO_POW32_INV + TWO_POW32_INV / 2
        val v = unsignedToFloat(b) * TWO_POW32_INV_2PI + TWO_POW32_INV_2PI / 2
        val s = Math.sqrt(-2.0 * Math.log(u.toDouble())).toFloat()
        return (s * Math.sin(v.toDouble())).toFloat()
    }

    private fun unsignedToFloat(w: Int): Float = (w.toLong() and 0xffffffffL).toFloat()

    private companion object {
        // The truncated constants of rng_philox.py / sd.cpp, kept as-is because they shape every value.
        const val TWO_POW32_INV = 2.3283064e-10f
        const val TWO_POW32_INV_2PI = 2.3283064e-10f * 6.2831855f
    }
}

private const val PHILOX_M0 = 0xD2511F53.toInt()
private const val PHILOX_M1 = 0xCD9E8D57.toInt()
private const val PHILOX_W0 = 0x9E3779B9.toInt()
private const val PHILOX_W1 = 0xBB67AE85.toInt()

/**
 * The Philox4x32-10 block function (Salmon et al. 2011, Random123), in place on [ctr].
 * Each round multiplies words 0 and 2 by the Philox constants and mixes the high halves with
 * the other words and the key; the key is bumped by the Weyl constants between rounds.
 */
internal fun philox4x32x10(ctr: IntArray, key0: Int, key1: Int) {
    var k0 = key0
    var k1 = key1
    var c0 = ctr[0]; var c1 = ctr[1]; var c2 = ctr[2]; var c3 = ctr[3]
    for (round in 0 until 10) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1 }
        val p0 = (c0.toLong() and 0xffffffffL) * (PHILOX_M0.toLong() and 0xffffffffL)
        val p1 = (c2.toLong() and 0xffffffffL) * (PHILOX_M1.toLong() and 0xffffffffL)
        val n0 = (p1 ushr 32).toInt() xor c1 xor k0
        val n2 = (p0 ushr 32).toInt() xor c3 xor k1
        c1 = p1.toInt()
        c3 = p0.toInt()
        c0 = n0
        c2 = n2
    }
    ctr[0] = c0; ctr[1] = c1; ctr[2] = c2; ctr[3] = c3
}
