package dev.sdj.core.video

import java.nio.file.Path

/**
 * Motion-JPEG in an AVI 1.0 file, the layout stable-diffusion.cpp's `create_mjpg_avi_from_sd_images` writes: one
 * video stream of type 'MJPG' whose rate/scale are the frame rate, a '00dc' chunk per JPEG frame in the 'movi' list,
 * and an 'idx1' index marking every frame a key frame. Two differences: the parameters go in a 'LIST INFO' 'ICMT'
 * between the headers and 'movi' (where ffmpeg writes and first looks for it) rather than after 'movi', and the index
 * offsets count from the 'movi' FourCC as the AVI specification says, not from the file's start (ffmpeg accepts both).
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
        val avi = LittleEndianBuffer(jpegs.sumOf { it.size + 24 } + 4096)
        val riff = avi.beginChunk("RIFF", "AVI ")

        val hdrl = avi.beginChunk("LIST", "hdrl")
        val avih = avi.beginChunk("avih")
        avi.u32(video.rate.microsPerFrame)
        avi.u32(maxBytesPerSecond(largest, video.rate))
        avi.u32(0) // padding granularity
        avi.u32(AVIF_HASINDEX)
        avi.u32(video.frameCount)
        avi.u32(0) // initial frames
        avi.u32(1) // streams
        avi.u32(largest) // suggested buffer size
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
        avi.endChunk(hdrl)

        if (!parameters.isNullOrEmpty()) writeInfo(avi, parameters)

        val movi = avi.beginChunk("LIST", "movi")
        val moviFourcc = movi + 4
        val offsets = IntArray(jpegs.size)
        for ((i, jpeg) in jpegs.withIndex()) {
            offsets[i] = avi.size - moviFourcc
            val chunk = avi.beginChunk(FRAME_CHUNK)
            avi.bytes(jpeg)
            avi.endChunk(chunk)
        }
        avi.endChunk(movi)

        val idx1 = avi.beginChunk("idx1")
        for ((i, jpeg) in jpegs.withIndex()) {
            avi.fourcc(FRAME_CHUNK)
            avi.u32(AVIIF_KEYFRAME)
            avi.u32(offsets[i])
            avi.u32(jpeg.size)
        }
        avi.endChunk(idx1)
        avi.endChunk(riff)
        return avi
    }

    private fun writeInfo(avi: LittleEndianBuffer, parameters: String) {
        val info = avi.beginChunk("LIST", "INFO")
        val icmt = avi.beginChunk("ICMT")
        avi.bytes(parameters.toByteArray(Charsets.UTF_8))
        avi.u8(0) // INFO strings end with a NUL
        avi.endChunk(icmt)
        avi.endChunk(info)
    }

    private fun maxBytesPerSecond(largestFrame: Int, rate: FrameRate): Int =
        Math.min(Int.MAX_VALUE.toDouble(), Math.ceil(largestFrame * rate.fps)).toInt()

    companion object {
        const val DEFAULT_QUALITY = 0.9f
        private const val MJPG = "MJPG"
        private const val FRAME_CHUNK = "00dc"
        private const val AVIF_HASINDEX = 0x10
        private const val AVIIF_KEYFRAME = 0x10
        private const val BITMAPINFOHEADER_SIZE = 40
    }
}
