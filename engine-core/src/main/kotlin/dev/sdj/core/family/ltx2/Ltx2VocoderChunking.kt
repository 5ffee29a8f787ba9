package dev.sdj.core.family.ltx2

/**
 * How the vocoder splits a long log-mel so that one graph's compute buffer is that of a window, not of the clip: windows
 * of one length ([length]) that step by [frames], each decoding its frames with [context] frames of real mel on both
 * sides (or the clip's own end), whose samples are kept; the rest of a window's samples are cut. With [context] at least
 * the vocoder's receptive field ([Ltx2VocoderDimensions.reach]), every kept sample is computed from the same inputs as
 * in a decode of the whole clip, so chunked and whole decodes agree to float rounding. The last window ends at the
 * clip's end and overlaps the one before it by more, so every window has the same length and one graph serves them
 * all: the buffer stays that of one window, and time grows linearly with the clip.
 *
 * @param frames mel frames kept from each window but the last (at 100 frames a second)
 * @param context mel frames decoded on each side of the kept ones only for what they feed into them
 */
data class Ltx2VocoderChunking(val frames: Int, val context: Int) {
    init {
        require(frames >= 1 && context >= 0) { "vocoder chunks keep at least one frame and have no negative context: $frames, $context" }
    }

    /** One window: mel frames [start, start + length) decoded, the samples of frames [keepFrom, keepTo) kept. */
    data class Window(val start: Int, val keepFrom: Int, val keepTo: Int)

    /** Mel frames in each window of a clip of [total] frames: the whole clip when it is no longer than a window. */
    fun length(total: Int): Int = minOf(total, frames + 2 * context)

    /** The windows over a clip of [total] mel frames, in order; their kept frames cover the clip once. */
    fun windows(total: Int): List<Window> {
        require(total >= 1) { "a log-mel has at least one frame" }
        val length = length(total)
        if (length == total) return listOf(Window(0, 0, total))
        val starts = generateSequence(0) { it + frames }.takeWhile { it + length < total }.toList() + (total - length)
        var keptTo = 0
        return starts.mapIndexed { i, s ->
            val end = if (i == starts.size - 1) total else s + length - context
            Window(s, keptTo, end).also { keptTo = end }
        }
    }

    companion object {
        /** Mel frames kept per window by default: 5 s of audio. */
        const val DEFAULT_FRAMES = 500

        /** Windows of [DEFAULT_FRAMES] with the vocoder's whole receptive field as context: exact. */
        fun exact(dimensions: Ltx2VocoderDimensions, frames: Int = DEFAULT_FRAMES) = Ltx2VocoderChunking(frames, dimensions.reach)
    }
}
