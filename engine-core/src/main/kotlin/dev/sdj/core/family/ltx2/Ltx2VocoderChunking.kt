package dev.sdj.core.family.ltx2

/**
 * How the vocoder splits a long log-mel so that one graph's compute buffer is that of a window, not of the clip: equal
 * windows ([length]) that each decode at most [frames] kept frames with [context] frames of real mel on both sides (or
 * the clip's own end); the samples of the kept frames are kept, the rest cut. With [context] at least the vocoder's
 * receptive field ([Ltx2VocoderDimensions.reach]), every kept sample is computed from the same inputs as in a decode of
 * the whole clip, so chunked and whole decodes agree to float rounding. The fewest windows that fit are used and the
 * kept frames shared out evenly, so one graph serves them all, its buffer bounded by that of [frames] + 2·[context]
 * frames, and the work is the clip's plus 2·[context] frames per window: linear in the clip's length.
 *
 * @param frames the most mel frames a window keeps (at 100 frames a second)
 * @param context mel frames decoded on each side of the kept ones only for what they feed into them
 */
data class Ltx2VocoderChunking(val frames: Int, val context: Int) {
    init {
        require(frames >= 1 && context >= 0) { "vocoder chunks keep at least one frame and have no negative context: $frames, $context" }
    }

    /** One window: mel frames [start, start + length) decoded, the samples of frames [keepFrom, keepTo) kept. */
    data class Window(val start: Int, val keepFrom: Int, val keepTo: Int)

    /** Mel frames each window of a clip of [total] frames keeps but the last (the whole clip when one window holds it). */
    private fun kept(total: Int): Int {
        val inner = total - 2 * context
        if (inner <= frames) return total
        val windows = (inner + frames - 1) / frames
        return (inner + windows - 1) / windows
    }

    /** Mel frames in each window of a clip of [total] frames (no more than [frames] + 2·[context]). */
    fun length(total: Int): Int = kept(total).let { if (it == total) total else it + 2 * context }

    /** The windows over a clip of [total] mel frames, in order; their kept frames cover the clip once. */
    fun windows(total: Int): List<Window> {
        require(total >= 1) { "a log-mel has at least one frame" }
        val kept = kept(total)
        if (kept == total) return listOf(Window(0, 0, total))
        val length = kept + 2 * context
        // kept·(count − 1) < total − 2·context: only the last window's start is held back to end at the clip's end
        val count = (total - 2 * context + kept - 1) / kept
        var keptTo = 0
        return (0 until count).map { k ->
            val start = minOf(k * kept, total - length)
            val end = if (k == count - 1) total else start + length - context
            Window(start, keptTo, end).also { keptTo = end }
        }
    }

    companion object {
        /** Mel frames kept per window by default: 5 s of audio. */
        const val DEFAULT_FRAMES = 500
    }
}
