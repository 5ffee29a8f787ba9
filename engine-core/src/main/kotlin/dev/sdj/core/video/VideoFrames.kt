package dev.sdj.core.video

import dev.sdj.api.GeneratedAudio
import dev.sdj.api.GeneratedVideo
import java.util.Optional
import dev.sdj.core.image.ChannelLayout
import dev.sdj.core.image.RgbImage

/**
 * A clip to write: [frames] in display order, all [width] x [height] 8-bit RGB, shown at [rate], and its sound when it
 * has any. The frames' pixel arrays are kept, not copied (see [RgbImage]).
 */
class VideoFrames @JvmOverloads constructor(val frames: List<RgbImage>, val rate: FrameRate, audio: AudioTrack? = null) {
    init {
        require(frames.isNotEmpty()) { "a video needs at least one frame" }
        val first = frames[0]
        for ((i, frame) in frames.withIndex()) {
            require(frame.width == first.width && frame.height == first.height) {
                "frame $i is ${frame.width}x${frame.height}, frame 0 is ${first.width}x${first.height}: every frame must have one size"
            }
        }
    }

    /**
     * The clip's sound cut, or padded with silence, to exactly the clip's duration (frames / fps × sample rate,
     * [AudioTrack.framesFor]); null for a silent clip.
     */
    val audio: AudioTrack? = audio?.let { it.withFrames(AudioTrack.framesFor(frames.size, rate, it.sampleRate)) }

    /** The same frames with [audio] as their sound. */
    fun withAudio(audio: AudioTrack?): VideoFrames = VideoFrames(frames, rate, audio)

    val width: Int get() = frames[0].width
    val height: Int get() = frames[0].height
    val frameCount: Int get() = frames.size

    /** The clip as the API hands it out, sharing the frames' pixel arrays and the sound's samples. */
    fun toGeneratedVideo(): GeneratedVideo = GeneratedVideo(width, height, rate.numerator, rate.denominator, frames.map { it.pixels },
        Optional.ofNullable(audio?.let { GeneratedAudio(it.sampleRate, it.channels, it.samples) }))

    companion object {
        /**
         * A clip from the API's form, sharing its frame arrays and samples, e.g. to write a [GeneratedVideo] with a
         * [VideoWriter].
         */
        @JvmStatic
        fun of(video: GeneratedVideo): VideoFrames = VideoFrames(
            video.frames().map { RgbImage(video.width(), video.height(), it) },
            FrameRate(video.frameRateNumerator(), video.frameRateDenominator()),
            video.audio().map { AudioTrack(it.samples(), it.channels(), it.sampleRate()) }.orElse(null),
        )

        /**
         * Converts a video VAE decoder's output, nominally in [-1, 1], frame by frame as [RgbImage.fromDecoderOutput]
         * converts an image: [values] holds [frameCount] frames one after another, each laid out as [layout] says
         * (LTX-2's decoder gives ggml `[3, W, H, T]`: interleaved frames).
         */
        @JvmStatic
        fun fromDecoderOutput(values: FloatArray, width: Int, height: Int, frameCount: Int, rate: FrameRate, layout: ChannelLayout): VideoFrames {
            require(width > 0 && height > 0 && frameCount > 0) { "video size must be positive, got ${width}x$height x $frameCount frames" }
            val frameValues = width.toLong() * height * 3
            require(values.size.toLong() == frameValues * frameCount) {
                "a ${width}x$height video of $frameCount frames has ${frameValues * frameCount} decoder values, got ${values.size}"
            }
            val frames = List(frameCount) { t ->
                val frame = values.copyOfRange((frameValues * t).toInt(), (frameValues * (t + 1)).toInt())
                try {
                    RgbImage.fromDecoderOutput(frame, width, height, layout)
                } catch (e: IllegalArgumentException) {
                    throw IllegalArgumentException("frame $t: ${e.message}", e)
                }
            }
            return VideoFrames(frames, rate)
        }
    }
}
