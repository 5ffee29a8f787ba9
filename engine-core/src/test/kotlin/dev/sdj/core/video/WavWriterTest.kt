package dev.sdj.core.video

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import javax.sound.sampled.AudioFormat
import javax.sound.sampled.AudioSystem
import kotlin.math.sin

class WavWriterTest {
    @TempDir
    lateinit var dir: Path

    private val tone = AudioTrack(FloatArray(2 * 1600) { i -> (0.8 * sin(i / 2 * 0.05 + (i % 2) * 1.0)).toFloat() }, 2, 16_000)

    @Test
    fun `16-bit PCM reads back through the JDK's own WAV reader`() {
        val out = dir.resolve("sound.wav")
        WavWriter().write(tone, "a cat\nSteps: 20", out)
        AudioSystem.getAudioInputStream(out.toFile()).use { stream ->
            val f = stream.format
            assertEquals(AudioFormat.Encoding.PCM_SIGNED, f.encoding)
            assertEquals(listOf(16_000f, 2f, 16f), listOf(f.sampleRate, f.channels.toFloat(), f.sampleSizeInBits.toFloat()))
            assertEquals(1600L, stream.frameLength)
            val pcm = ByteBuffer.wrap(stream.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
            for (i in tone.samples.indices) assertEquals(tone.samples[i] * 32767, pcm[i].toFloat(), 0.5f, "sample $i")
        }
    }

    @Test
    fun `float WAV has the IEEE float format, a fact chunk and the samples as they are`() {
        val bytes = WavWriter(float = true).encode(tone, null).toByteArray()
        val b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
        assertEquals("RIFF", String(bytes, 0, 4)); assertEquals("WAVE", String(bytes, 8, 4))
        assertEquals(bytes.size - 8, b.getInt(4))
        assertEquals("fmt ", String(bytes, 12, 4)); assertEquals(18, b.getInt(16))
        assertEquals(WavWriter.WAVE_FORMAT_IEEE_FLOAT, b.getShort(20).toInt())
        assertEquals(listOf(2, 16_000, 16_000 * 8, 8, 32), listOf(b.getShort(22).toInt(), b.getInt(24), b.getInt(28), b.getShort(32).toInt(), b.getShort(34).toInt()))
        assertEquals("fact", String(bytes, 38, 4)); assertEquals(1600, b.getInt(46))
        assertEquals("data", String(bytes, 50, 4)); assertEquals(1600 * 8, b.getInt(54))
        for (i in tone.samples.indices) assertEquals(tone.samples[i], b.getFloat(58 + 4 * i))
    }

    @Test
    fun `the parameters are the INFO comment`() {
        val bytes = WavWriter().encode(tone, "ein Fuchs").toByteArray()
        val text = String(bytes, Charsets.ISO_8859_1)
        assertTrue(text.indexOf("ICMT") in 0 until text.indexOf("data"), "ICMT before the data")
        assertTrue("ein Fuchs\u0000" in text)
    }

    @Test
    fun `formats without audio write a WAV beside the clip`() {
        val clip = SyntheticClip.frames(16, 16, 2).withAudio(tone)
        AnimatedWebpWriter.write(clip, null, dir.resolve("clip.webp"))
        PngFramesWriter.write(clip, null, dir.resolve("frame_%03d.png"))
        for (name in listOf("clip.wav", "frame.wav")) {
            AudioSystem.getAudioInputStream(dir.resolve(name).toFile()).use { assertEquals(AudioTrack.framesFor(2, clip.rate, 16_000).toLong(), it.frameLength, name) }
        }
        assertEquals(dir.resolve("audio.wav"), AudioSidecar.pathFor(dir.resolve("%05d.png")))
        assertEquals(dir.resolve("shot-1.wav"), AudioSidecar.pathFor(dir.resolve("shot-1-%d.png")))
        // a silent clip writes none
        AnimatedWebpWriter.write(SyntheticClip.frames(16, 16, 2), null, dir.resolve("silent.webp"))
        assertTrue(Files.notExists(dir.resolve("silent.wav")))
    }
}
