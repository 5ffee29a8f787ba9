package dev.sdj.core.family.ltx2

/**
 * Decoded audio: [channels] channels of [length] samples at [sampleRate] Hz in [-1, 1], planar: [samples] holds all of
 * channel 0, then all of channel 1 (ggml order [length, channels]; C order [channel][sample]).
 */
class Ltx2Waveform(val sampleRate: Int, val channels: Int, val samples: FloatArray) {
    init {
        require(channels >= 1 && samples.size % channels == 0) { "${samples.size} samples do not split into $channels channels" }
    }

    /** Samples per channel. */
    val length: Int get() = samples.size / channels
}
