package dev.sdj.core.video

/**
 * Frames per second as the fraction [numerator] / [denominator], the way containers store it (AVI's rate and scale,
 * MP4's timescale and sample duration), so that 24000/1001 stays exact instead of drifting as a rounded double.
 */
data class FrameRate(val numerator: Int, val denominator: Int) {
    init {
        require(numerator > 0 && denominator > 0) { "frame rate must be positive, got $numerator/$denominator" }
    }

    val fps: Double get() = numerator.toDouble() / denominator

    /** Microseconds per frame, rounded: AVI's main header keeps this alongside the exact rate. */
    val microsPerFrame: Int get() = Math.round(1_000_000.0 * denominator / numerator).toInt()

    override fun toString(): String = if (denominator == 1) "$numerator fps" else "$numerator/$denominator fps"

    companion object {
        private const val MAX_FPS = 1000.0

        /**
         * The rate [fps] stands for: a whole number as n/1, the NTSC rates (23.976, 29.97, 59.94) as n*1000/1001,
         * anything else to the nearest 1/1000.
         */
        @JvmStatic
        fun of(fps: Double): FrameRate {
            require(fps.isFinite() && fps > 0 && fps <= MAX_FPS) { "frame rate must be a number in (0, ${MAX_FPS.toInt()}], got $fps" }
            val whole = Math.round(fps)
            if (whole >= 1 && Math.abs(fps - whole) < 1e-9) return FrameRate(whole.toInt(), 1)
            val ntsc = Math.round(fps * 1001 / 1000)
            if (ntsc >= 1 && Math.abs(fps - ntsc * 1000.0 / 1001) < 5e-4) return FrameRate((ntsc * 1000).toInt(), 1001)
            val thousandths = Math.round(fps * 1000)
            require(thousandths >= 1) { "frame rate $fps is below 1/1000 fps" }
            val gcd = gcd(thousandths, 1000)
            return FrameRate((thousandths / gcd).toInt(), (1000 / gcd).toInt())
        }

        private tailrec fun gcd(a: Long, b: Long): Long = if (b == 0L) a else gcd(b, a % b)
    }
}
