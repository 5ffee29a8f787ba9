package dev.sdj.core.video

import java.nio.file.Path

/**
 * Motion-JPEG in an AVI 1.0 file, the layout stable-diffusion.cpp's `create_mjpg_avi_from_sd_images` writes: one
 * video stream of type 'MJPG' whose rate/scale are the frame rate, a '00dc' chunk per JPEG frame in the 'movi' list,
 * and an 'idx1' index marking every frame a key frame. Two differences: the parameters go in a 'LIST INFO' 'ICMT'
 * between the headers and 'movi' (where ffmpeg writes and first looks for it) rather than after 'movi', and the index
 * offsets count from the 'movi' FourCC as the AVI specification says, not from the file's start (ffmpeg accepts both).
 * A clip with sound gets a second stream, 16-bit PCM (WAVE_FORMAT_PCM), its samples in a '01wb' chunk after each
 * frame's '00dc' holding the samples that frame's time span covers, so players read both streams in step.
 *
 * @param quality ImageIO's JPEG quality; 0.9 matches stable-diffusion.cpp, which caps its JPEG quality at 90
 */
class MjpegAviWriter @JvmOverloads constructor(private val quality: Float = DEFAULT_QUALITY) : VideoWriter {
    init {
        require(quality > 0f && quality <= 1f) { "JPEG quality must be in (0, 1], got $quality" }
    }

    override fun write(video: VideoFrames, parameters: String?, out: Path) {
        val avi = encode(video, parameters)
        writeVideoFile("AVI", out) { channel -> avi.writeTo(channel) }
    }

    /** The whole file in memory: sizes in the headers are patched once the frames are known. */
    internal fun encode(video: VideoFrames, parameters: String?): LittleEndianBuffer {
        val jpegs = JpegFrameEncoder(quality).use { encoder -> video.frames.map { encoder.encode(it) } }
        val largest = jpegs.maxOf { it.size }
        val audio = video.audio
        val sound = audio?.let { a -> List(video.frameCount) { i -> a.pcm16(AudioTrack.framesFor(i, video.rate, a.sampleRate), AudioTrack.framesFor(i + 1, video.rate, a.sampleRate)) } }
        val largestSound = sound?.maxOf { it.size } ?: 0
        val avi = LittleEndianBuffer(jpegs.sumOf { it.size + 24 } + (sound?.sumOf { it.size + 24 } ?: 0) + 4096)
        val riff = avi.beginChunk("RIFF", "AVI ")

        val hdrl = avi.beginChunk("LIST", "hdrl")
        val avih = avi.beginChunk("avih")
        avi.u32(video.rate.microsPerFrame)
        avi.u32(maxBytesPerSecond(largest, video.rate))
        avi.u32(0) // padding granularity
        avi.u32(AVIF_HASINDEX)
        avi.u32(video.frameCount)
        avi.u32(0) // initial frames
        avi.u32(if (sound == null) 1 else 2) // streams
        avi.u32(maxOf(largest, largestSound)) // suggested buffer size
        avi.u32(video.width)
        avi.u32(video.height)
        repeat(4) { avi.u32(0) } // reserved
        avi.endChunk(avih)

        val strl = avi.beginChunk("LIST", "strl")
        val strh = avi.beginChunk("strh")
        avi.fourcc("vids")
        avi.fourcc(MJPG)
        avi.u32(0) // flags
        avi.u16(0) // priority
        avi.u16(0) // language
        avi.u32(0) // initial frames
        avi.u32(video.rate.denominator) // scale: rate / scale = frames per second
        avi.u32(video.rate.numerator)
        avi.u32(0) // start
        avi.u32(video.frameCount) // length, in frames
        avi.u32(largest)
        avi.u32(-1) // quality: the default
        avi.u32(0) // sample size: frames vary
        avi.u16(0) // frame rectangle: left, top, right, bottom
        avi.u16(0)
        avi.u16(video.width)
        avi.u16(video.height)
        avi.endChunk(strh)
        val strf = avi.beginChunk("strf") // BITMAPINFOHEADER
        avi.u32(BITMAPINFOHEADER_SIZE)
        avi.u32(video.width)
        avi.u32(video.height)
        avi.u16(1) // planes
        avi.u16(24) // bits per pixel once decoded
        avi.fourcc(MJPG)
        avi.u32(video.width * video.height * 3)
        repeat(4) { avi.u32(0) } // resolution and palette: unused
        avi.endChunk(strf)
        avi.endChunk(strl)
        if (audio != null) writeAudioStream(avi, audio, largestSound)
        avi.endChunk(hdrl)

        if (!parameters.isNullOrEmpty()) writeInfoComment(avi, parameters)

        val movi = avi.beginChunk("LIST", "movi")
        val moviFourcc = movi + 4
        val index = ArrayList<Triple<String, Int, Int>>()
        fun chunk(id: String, data: ByteArray) {
            index += Triple(id, avi.size - moviFourcc, data.size)
            val at = avi.beginChunk(id)
            avi.bytes(data)
            avi.endChunk(at)
        }
        for ((i, jpeg) in jpegs.withIndex()) {
            chunk(FRAME_CHUNK, jpeg)
            sound?.get(i)?.takeIf { it.isNotEmpty() }?.let { chunk(SOUND_CHUNK, it) }
        }
        avi.endChunk(movi)

        val idx1 = avi.beginChunk("idx1")
        for ((id, offset, size) in index) {
            avi.fourcc(id)
            avi.u32(AVIIF_KEYFRAME) // every frame is a JPEG, and PCM can start anywhere
            avi.u32(offset)
            avi.u32(size)
        }
        avi.endChunk(idx1)
        avi.endChunk(riff)
        return avi
    }

    /** Stream 1: PCM counted in sample frames (scale = block align, rate = bytes a second, so rate / scale = the sample rate). */
    private fun writeAudioStream(avi: LittleEndianBuffer, audio: AudioTrack, largestChunk: Int) {
        val blockAlign = audio.channels * 2
        val strl = avi.beginChunk("LIST", "strl")
        val strh = avi.beginChunk("strh")
        avi.fourcc("auds")
        avi.u32(0) // handler: none for PCM
        avi.u32(0) // flags
        avi.u16(0) // priority
        avi.u16(0) // language
        avi.u32(0) // initial frames
        avi.u32(blockAlign) // scale
        avi.u32(audio.sampleRate * blockAlign) // rate
        avi.u32(0) // start
        avi.u32(audio.frames) // length, in sample frames
        avi.u32(largestChunk)
        avi.u32(-1) // quality: the default
        avi.u32(blockAlign) // sample size
        repeat(4) { avi.u16(0) } // frame rectangle: none
        avi.endChunk(strh)
        val strf = avi.beginChunk("strf") // WAVEFORMATEX
        avi.u16(WavWriter.WAVE_FORMAT_PCM)
        avi.u16(audio.channels)
        avi.u32(audio.sampleRate)
        avi.u32(audio.sampleRate * blockAlign)
        avi.u16(blockAlign)
        avi.u16(16) // bits per sample
        avi.u16(0) // no extra format bytes
        avi.endChunk(strf)
        avi.endChunk(strl)
    }

    private fun maxBytesPerSecond(largestFrame: Int, rate: FrameRate): Int =
        Math.min(Int.MAX_VALUE.toDouble(), Math.ceil(largestFrame * rate.fps)).toInt()

    companion object {
        const val DEFAULT_QUALITY = 0.9f
        private const val MJPG = "MJPG"
        private const val FRAME_CHUNK = "00dc"
        private const val SOUND_CHUNK = "01wb"
        private const val AVIF_HASINDEX = 0x10
        private const val AVIIF_KEYFRAME = 0x10
        private const val BITMAPINFOHEADER_SIZE = 40
    }
}
