package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import org.jcodec.api.FrameGrab
import org.jcodec.common.io.NIOUtils
import org.jcodec.common.model.Picture
import org.jcodec.common.model.Rect
import org.jcodec.containers.mp4.MP4Util
import org.jcodec.containers.mp4.boxes.NodeBox
import org.jcodec.containers.mp4.boxes.UdtaBox
import org.jcodec.containers.mp4.boxes.UdtaMetaBox
import org.jcodec.containers.mp4.demuxer.MP4Demuxer
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

class Mp4WriterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `jcodec decodes every frame at the size and rate written, close to the source`() {
        val video = SyntheticClip.frames(256, 256, 33)
        val out = dir.resolve("clip.mp4")
        Mp4Writer().write(video, "a cat\nSteps: 20, Seed: 1", out)

        val decoded = decode(out)
        assertEquals(33, decoded.size)
        for ((i, frame) in decoded.withIndex()) {
            assertCloseToSource(video.frames[i], frame, "frame $i")
        }
        NIOUtils.readableChannel(out.toFile()).use { channel ->
            val track = MP4Demuxer.createMP4Demuxer(channel).videoTrack
            assertEquals(33, track.meta.totalFrames)
            assertEquals(33.0 / 24.0, track.meta.totalDuration, 1e-9)
        }
    }

    /** Noise is the worst case for the encoder's output buffer (jcodec's own estimate overflowed on it). */
    @Test
    fun `frames of pure noise encode and decode`() {
        val random = java.util.Random(3)
        val frames = List(3) { RgbImage(64, 64, ByteArray(64 * 64 * 3).also(random::nextBytes)) }
        val out = dir.resolve("noise.mp4")
        Mp4Writer().write(VideoFrames(frames, FrameRate(24, 1)), null, out)
        assertEquals(3, decode(out).size)
    }

    @Test
    fun `a size that is not whole macroblocks is cropped back to itself`() {
        val video = SyntheticClip.frames(120, 70, 3)
        val out = dir.resolve("odd.mp4")
        Mp4Writer().write(video, null, out)
        val decoded = decode(out)
        assertEquals(3, decoded.size)
        for ((i, frame) in decoded.withIndex()) {
            assertEquals(120, frame.width)
            assertEquals(70, frame.height)
            assertCloseToSource(video.frames[i], frame, "frame $i")
        }
    }

    @Test
    fun `the NTSC rate is kept exactly`() {
        val out = dir.resolve("ntsc.mp4")
        Mp4Writer().write(SyntheticClip.frames(32, 32, 5, rate = FrameRate.of(23.976)), null, out)
        NIOUtils.readableChannel(out.toFile()).use { channel ->
            val track = MP4Demuxer.createMP4Demuxer(channel).videoTrack
            assertEquals(5 * 1001.0 / 24000.0, track.meta.totalDuration, 1e-9)
        }
    }

    @Test
    fun `a clip with sound has a PCM track of the clip's duration that jcodec's demuxer reads back`() {
        val rate = FrameRate(24_000, 1001)
        val frames = AudioTrack.framesFor(9, rate, 16_000)
        // longer than the clip: cut to it
        val sound = AudioTrack(FloatArray(2 * (frames + 500)) { i -> ((i * 37 % 200) - 100) / 101f }, 2, 16_000)
        val out = dir.resolve("sound.mp4")
        Mp4Writer().write(SyntheticClip.frames(32, 32, 9, rate = rate).withAudio(sound), null, out)
        NIOUtils.readableChannel(out.toFile()).use { channel ->
            val demuxer = MP4Demuxer.createMP4Demuxer(channel)
            assertEquals(9, demuxer.videoTrack.meta.totalFrames)
            val track = demuxer.audioTracks.single()
            val meta = track.meta.audioCodecMeta
            assertEquals(listOf(16_000, 2, 16), listOf(meta.sampleRate, meta.channelCount, meta.sampleSize * 8))
            assertEquals(frames.toDouble() / 16_000, track.meta.totalDuration, 1e-9)
            val pcm = java.io.ByteArrayOutputStream()
            while (true) {
                val packet = track.nextFrame() ?: break
                val data = packet.data
                pcm.write(ByteArray(data.remaining()).also { data.get(it) })
            }
            assertTrue(sound.withFrames(frames).pcm16().contentEquals(pcm.toByteArray()), "the samples as written, ${pcm.size()} bytes")
        }
    }

    @Test
    fun `the parameters are the movie's comment`() {
        val text = "a red fox, snow\nNegative prompt: blurry\nSteps: 30, Sampler: Euler, Seed: 5, Size: 64x32"
        val out = dir.resolve("meta.mp4")
        Mp4Writer().write(SyntheticClip.frames(64, 32, 2), text, out)
        val movie = NIOUtils.readableChannel(out.toFile()).use { MP4Util.parseMovieChannel(it) }
        val udta = NodeBox.findFirst(movie, UdtaBox::class.java, "udta")!!
        val meta = NodeBox.findFirst(udta, UdtaMetaBox::class.java, "meta")!!
        val comment = meta.itunesMeta[(0xA9 shl 24) or ('c'.code shl 16) or ('m'.code shl 8) or 't'.code]!!
        assertEquals(text, comment.string)
    }

    @Test
    fun `an odd size is refused before anything is written`() {
        val out = dir.resolve("x.mp4")
        val e = assertThrows<IllegalArgumentException> { Mp4Writer().write(SyntheticClip.frames(33, 32, 1), null, out) }
        assertTrue(e.message!!.contains("33x32"), e.message)
        assertFalse(Files.exists(out))
    }

    @Test
    fun `a missing directory fails naming the file and leaves nothing`() {
        val out = dir.resolve("missing").resolve("x.mp4")
        val e = assertThrows<IOException> { Mp4Writer().write(SyntheticClip.frames(32, 32, 1), null, out) }
        assertTrue(e.message!!.contains(out.toString()), e.message)
        assertFalse(Files.exists(out.parent))
    }

    /**
     * 4:2:0 chroma alone costs this clip's sharp coloured edges a lot (about 36.5 dB at 256x256, 30 dB at 120x70), so
     * the bound is relative: the codec may lose at most [MAX_CODEC_LOSS_DB] more than converting to the stream's
     * Y'CbCr and back does (measured: 0.5-0.7 dB at QP 14), and the result must be at least [MIN_PSNR] dB at 256x256.
     */
    private fun assertCloseToSource(source: RgbImage, decoded: RgbImage, what: String) {
        val padded = Bt709Yuv420.toPicture(source, (source.width + 15) and 15.inv(), (source.height + 15) and 15.inv())
        padded.crop = Rect(0, 0, source.width, source.height)
        val ceiling = SyntheticClip.psnr(source, toRgb(padded))
        val psnr = SyntheticClip.psnr(source, decoded)
        assertTrue(psnr > ceiling - MAX_CODEC_LOSS_DB, "$what: PSNR $psnr dB, 4:2:0 conversion alone gives $ceiling dB")
        if (source.width * source.height >= 256 * 256) assertTrue(psnr > MIN_PSNR, "$what: PSNR $psnr dB, expected over $MIN_PSNR")
    }

    private fun decode(file: Path): List<RgbImage> {
        val grab = NIOUtils.readableChannel(file.toFile()).use { channel ->
            val g = FrameGrab.createFrameGrab(channel)
            generateSequence { g.nativeFrame }.map { toRgb(it) }.toList()
        }
        return grab
    }

    companion object {
        private const val MIN_PSNR = 35.0
        private const val MAX_CODEC_LOSS_DB = 1.5

        /** Limited-range BT.709 Y'CbCr 4:2:0 back to RGB, the inverse of what the stream declares. */
        fun toRgb(picture: Picture): RgbImage {
            val crop = picture.crop
            val width = crop?.width ?: picture.width
            val height = crop?.height ?: picture.height
            val luma = picture.getPlaneData(0)
            val cb = picture.getPlaneData(1)
            val cr = picture.getPlaneData(2)
            val lumaStride = picture.getPlaneWidth(0)
            val chromaStride = picture.getPlaneWidth(1)
            val pixels = ByteArray(width * height * 3)
            for (y in 0 until height) for (x in 0 until width) {
                val yy = ((luma[y * lumaStride + x] + 128) - 16) / 219.0
                val u = ((cb[(y / 2) * chromaStride + x / 2] + 128) - 128) / 224.0
                val v = ((cr[(y / 2) * chromaStride + x / 2] + 128) - 128) / 224.0
                val r = yy + 2 * (1 - 0.2126) * v
                val b = yy + 2 * (1 - 0.0722) * u
                val g = (yy - 0.2126 * r - 0.0722 * b) / 0.7152
                val i = (y * width + x) * 3
                pixels[i] = level(r); pixels[i + 1] = level(g); pixels[i + 2] = level(b)
            }
            return RgbImage(width, height, pixels)
        }

        private fun level(v: Double): Byte = Math.round(v * 255).toInt().coerceIn(0, 255).toByte()
    }
}
