package dev.sdj.core.sampling

/**
 * The 32-bit Mersenne Twister (Matsumoto and Nishimura 1998) with the standard
 * `init_genrand` seeding from a 32-bit seed, as PyTorch's CPU generator uses it.
 */
internal class Mt19937(seed: Int) {
    private val state = IntArray(N)
    private var next = N

    init {
        state[0] = seed
        for (j in 1 until N) {
            val prev = state[j - 1]
            state[j] = 1812433253 * (prev xor (prev ushr 30)) + j
        }
    }

    /** The next output, as the unsigned 32-bit value's bits. */
    fun nextInt(): Int {
        if (next == N) twist()
        var y = state[next++]
        y = y xor (y ushr 11)
        y = y xor ((y shl 7) and 0x9d2c5680.toInt())
        y = y xor ((y shl 15) and 0xefc60000.toInt())
        return y xor (y ushr 18)
    }

    private fun twist() {
        for (i in 0 until N) {
            val y = (state[i] and UPPER) or (state[(i + 1) % N] and LOWER)
            val mag = if (y and 1 != 0) MATRIX_A else 0
            state[i] = state[(i + M) % N] xor (y ushr 1) xor mag
        }
        next = 0
    }

    private companion object {
        const val N = 624
        const val M = 397
        const val MATRIX_A = 0x9908b0df.toInt()
        const val UPPER = 0x80000000.toInt()
        const val LOWER = 0x7fffffff
    }
}
