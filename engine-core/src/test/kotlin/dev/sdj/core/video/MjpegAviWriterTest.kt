package dev.sdj.core.video

import dev.sdj.core.image.RgbImage
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.ByteArrayInputStream
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

class MjpegAviWriterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `every frame decodes with ImageIO close to the source, with size and rate in the headers`() {
        val video = SyntheticClip.frames(256, 192, 33, rate = FrameRate(25, 1))
        val out = dir.resolve("clip.avi")
        MjpegAviWriter().write(video, "a cat\nSteps: 20", out)

        val avi = AviFile(Files.readAllBytes(out))
        assertEquals(33, avi.totalFrames)
        assertEquals(40_000, avi.microsPerFrame)
        assertEquals(25, avi.rate)
        assertEquals(1, avi.scale)
        assertEquals("MJPG", avi.handler)
        assertEquals(256, avi.width)
        assertEquals(192, avi.height)
        assertEquals(33, avi.frames.size)
        for ((i, jpeg) in avi.frames.withIndex()) {
            val decoded = ImageIO.read(ByteArrayInputStream(jpeg))
            val psnr = SyntheticClip.psnr(video.frames[i], toRgb(decoded))
            // Measured 35.4-36.5 dB at quality 0.9: JPEG's 4:2:0 chroma sets most of the loss on this clip's edges.
            assertTrue(psnr > 33.0, "frame $i: PSNR $psnr dB")
        }
    }

    @Test
    fun `the index points at each frame chunk, counted from the movi list`() {
        val bytes = MjpegAviWriter().encode(SyntheticClip.frames(32, 32, 4), null).toByteArray()
        val avi = AviFile(bytes)
        assertEquals(4, avi.index.size)
        for ((i, entry) in avi.index.withIndex()) {
            val at = avi.moviFourcc + entry.offset
            assertEquals("00dc", String(bytes, at, 4, Charsets.US_ASCII))
            assertEquals(0x10, entry.flags, "key frame flag")
            assertEquals(entry.size, le32(bytes, at + 4))
            assertTrue(avi.frames[i].contentEquals(bytes.copyOfRange(at + 8, at + 8 + entry.size)))
        }
        assertEquals(bytes.size - 8, le32(bytes, 4), "RIFF length")
    }

    @Test
    fun `a fractional rate is the stream's rate over scale`() {
        val avi = AviFile(MjpegAviWriter().encode(SyntheticClip.frames(16, 16, 2, rate = FrameRate.of(29.97)), null).toByteArray())
        assertEquals(30000, avi.rate)
        assertEquals(1001, avi.scale)
        assertEquals(33_367, avi.microsPerFrame)
    }

    @Test
    fun `the parameters are the INFO comment, and absent without them`() {
        val text = "ein Fuchs im Schnee, ünïcode\nSteps: 30, Seed: 5"
        assertEquals(text, AviFile(MjpegAviWriter().encode(SyntheticClip.frames(16, 16, 1), text).toByteArray()).comment)
        assertEquals(null, AviFile(MjpegAviWriter().encode(SyntheticClip.frames(16, 16, 1), null).toByteArray()).comment)
    }

    @Test
    fun `a missing directory fails naming the file`() {
        val out = dir.resolve("missing").resolve("x.avi")
        val e = assertThrows<IOException> { MjpegAviWriter().write(SyntheticClip.frames(16, 16, 1), null, out) }
        assertTrue(e.message!!.contains(out.toString()), e.message)
        assertFalse(Files.exists(out.parent))
    }

    @Test
    fun `an existing file is replaced whole`() {
        val out = dir.resolve("x.avi")
        Files.write(out, ByteArray(1_000_000) { 7 })
        MjpegAviWriter().write(SyntheticClip.frames(16, 16, 2), null, out)
        assertEquals(2, AviFile(Files.readAllBytes(out)).frames.size)
        assertEquals(listOf(out), Files.list(dir).use { it.toList() })
    }

    private fun toRgb(image: java.awt.image.BufferedImage): RgbImage {
        val pixels = ByteArray(image.width * image.height * 3)
        for (y in 0 until image.height) for (x in 0 until image.width) {
            val rgb = image.getRGB(x, y)
            val i = (y * image.width + x) * 3
            pixels[i] = (rgb shr 16).toByte(); pixels[i + 1] = (rgb shr 8).toByte(); pixels[i + 2] = rgb.toByte()
        }
        return RgbImage(image.width, image.height, pixels)
    }

    @Test
    fun `a clip with sound has a PCM stream of exactly the clip's duration, interleaved frame by frame`() {
        // 9 frames at 24 fps last 0.375 s: 6000 sample frames at 16 kHz; the sound given is shorter and gets padded
        val sound = AudioTrack(FloatArray(2 * 5920) { i -> if (i % 2 == 0) 0.5f else -1f }, 2, 16_000)
        val video = SyntheticClip.frames(32, 32, 9).withAudio(sound)
        val bytes = MjpegAviWriter().encode(video, null).toByteArray()
        val avi = AviFile(bytes)
        assertEquals(2, avi.streams)
        val a = avi.audio!!
        assertEquals(listOf(WavWriter.WAVE_FORMAT_PCM, 2, 16_000, 16), listOf(a.format, a.channels, a.sampleRate, a.bits))
        assertEquals(16_000, a.rate / a.scale, "rate / scale is the sample rate")
        assertEquals(6000, a.length, "stream length in sample frames")
        val pcm = avi.sound.fold(ByteArray(0)) { acc, c -> acc + c }
        assertEquals(6000 * 4, pcm.size)
        assertEquals(16384, le16(pcm, 0), "0.5 → 16384 (0.5 · 32767 rounded)")
        assertEquals(-32767, le16(pcm, 2))
        assertEquals(0, le16(pcm, 5920 * 4), "padding is silence")
        // after each frame its own span: 6000 / 9 is 666.67, so spans of 667 and 666 sample frames
        assertEquals(9, avi.sound.size)
        assertEquals(AudioTrack.framesFor(1, video.rate, 16_000) * 4, avi.sound[0].size)
        assertEquals(List(9) { listOf("00dc", "01wb") }.flatten(), avi.index.map { it.id })
        for (entry in avi.index) assertEquals(entry.id, String(bytes, avi.moviFourcc + entry.offset, 4, Charsets.US_ASCII))
    }

    private data class IndexEntry(val id: String, val flags: Int, val offset: Int, val size: Int)

    private data class AudioStream(var scale: Int = 0, var rate: Int = 0, var length: Int = 0, var format: Int = 0, var channels: Int = 0,
                                   var sampleRate: Int = 0, var bits: Int = 0)

    /** Just enough of a RIFF/AVI reader to check what the writer put where, walking chunks by their lengths. */
    private class AviFile(private val bytes: ByteArray) {
        var microsPerFrame = 0; var totalFrames = 0; var width = 0; var height = 0
        var handler = ""; var scale = 0; var rate = 0
        var streams = 0
        var audio: AudioStream? = null
        var comment: String? = null
        var moviFourcc = -1
        val frames = ArrayList<ByteArray>()
        val sound = ArrayList<ByteArray>()
        val index = ArrayList<IndexEntry>()

        init {
            assertEquals("RIFF", fourcc(0))
            assertEquals("AVI ", fourcc(8))
            walk(12, 8 + le32(bytes, 4))
        }

        private fun walk(from: Int, to: Int) {
            var at = from
            while (at < to) {
                val id = fourcc(at)
                val length = le32(bytes, at + 4)
                val data = at + 8
                when (id) {
                    "LIST" -> {
                        if (fourcc(data) == "movi") moviFourcc = data
                        walk(data + 4, data + length)
                    }
                    "avih" -> {
                        microsPerFrame = le32(bytes, data); totalFrames = le32(bytes, data + 16); streams = le32(bytes, data + 24)
                        width = le32(bytes, data + 32); height = le32(bytes, data + 36)
                    }
                    "strh" -> if (fourcc(data) == "auds") {
                        audio = AudioStream(scale = le32(bytes, data + 20), rate = le32(bytes, data + 24), length = le32(bytes, data + 32))
                    } else {
                        assertEquals("vids", fourcc(data)); handler = fourcc(data + 4)
                        scale = le32(bytes, data + 20); rate = le32(bytes, data + 24)
                        assertEquals(totalFrames, le32(bytes, data + 32), "stream length")
                    }
                    "strf" -> audio?.apply {
                        format = le16(bytes, data); channels = le16(bytes, data + 2); sampleRate = le32(bytes, data + 4); bits = le16(bytes, data + 14)
                        assertEquals(channels * 2, le16(bytes, data + 12), "block align")
                    } ?: assertEquals("MJPG", fourcc(data + 16))
                    "ICMT" -> {
                        assertEquals(0, bytes[data + length - 1].toInt(), "NUL-terminated")
                        comment = String(bytes, data, length - 1, Charsets.UTF_8)
                    }
                    "00dc" -> frames += bytes.copyOfRange(data, data + length)
                    "01wb" -> sound += bytes.copyOfRange(data, data + length)
                    "idx1" -> for (e in 0 until length / 16) {
                        val entry = data + e * 16
                        index += IndexEntry(fourcc(entry), le32(bytes, entry + 4), le32(bytes, entry + 8), le32(bytes, entry + 12))
                    }
                }
                at = data + length + (length and 1)
            }
            assertEquals(to, at, "chunks end where their list says")
        }

        private fun fourcc(at: Int) = String(bytes, at, 4, Charsets.US_ASCII)
    }

    companion object {
        fun le32(bytes: ByteArray, at: Int): Int = ByteBuffer.wrap(bytes, at, 4).order(ByteOrder.LITTLE_ENDIAN).int
        fun le16(bytes: ByteArray, at: Int): Int = ByteBuffer.wrap(bytes, at, 2).order(ByteOrder.LITTLE_ENDIAN).short.toInt()
    }
}
