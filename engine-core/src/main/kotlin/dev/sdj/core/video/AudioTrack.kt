package dev.sdj.core.video

import kotlin.math.roundToInt

/**
 * Sound to go with a clip: [samples] interleaved by sample frame (left, right, left, … for stereo), nominally in
 * [-1, 1], [channels] per frame, [sampleRate] frames a second. The array is kept, not copied.
 */
class AudioTrack(val samples: FloatArray, val channels: Int, val sampleRate: Int) {
    init {
        require(channels >= 1) { "audio needs at least one channel, got $channels" }
        require(sampleRate >= 1) { "audio sample rate must be positive, got $sampleRate" }
        require(samples.size % channels == 0) { "${samples.size} samples do not make whole frames of $channels channels" }
    }

    /** Sample frames: one sample of every channel. */
    val frames: Int get() = samples.size / channels

    /** This sound cut, or padded with silence, to [frames] sample frames. */
    fun withFrames(frames: Int): AudioTrack {
        require(frames >= 0) { "sample frames must not be negative, got $frames" }
        return if (frames == this.frames) this else AudioTrack(samples.copyOf(frames * channels), channels, sampleRate)
    }

    /**
     * Sample frames [from] until [to] as signed 16-bit little-endian PCM: each sample clamped to [-1, 1] and scaled
     * by 32767, rounded (so -1 and 1 map to ±32767, symmetric about 0).
     */
    fun pcm16(from: Int = 0, to: Int = frames): ByteArray {
        require(from in 0..to && to <= frames) { "sample frames $from until $to are not within 0 until $frames" }
        val out = ByteArray((to - from) * channels * 2)
        var at = 0
        for (i in from * channels until to * channels) {
            val v = (samples[i].coerceIn(-1f, 1f) * Short.MAX_VALUE).roundToInt()
            out[at++] = v.toByte()
            out[at++] = (v shr 8).toByte()
        }
        return out
    }

    companion object {
        /**
         * Sound from [planar] channel after channel ([channels] runs of equal length, as ggml's [T, channels] holds
         * a vocoder's waveform), interleaved.
         */
        @JvmStatic
        fun fromPlanar(planar: FloatArray, channels: Int, sampleRate: Int): AudioTrack {
            require(channels >= 1 && planar.size % channels == 0) { "${planar.size} samples are not $channels equal channels" }
            val frames = planar.size / channels
            return AudioTrack(FloatArray(planar.size) { i -> planar[(i % channels) * frames + i / channels] }, channels, sampleRate)
        }

        /**
         * Sample frames lasting as long as [videoFrames] frames at [rate]: videoFrames / fps × [sampleRate], rounded to
         * the nearest whole frame, computed exactly from the rate's fraction.
         */
        @JvmStatic
        fun framesFor(videoFrames: Int, rate: FrameRate, sampleRate: Int): Int {
            val numerator = videoFrames.toLong() * rate.denominator * sampleRate
            return ((2 * numerator + rate.numerator) / (2L * rate.numerator)).toInt()
        }
    }
}
