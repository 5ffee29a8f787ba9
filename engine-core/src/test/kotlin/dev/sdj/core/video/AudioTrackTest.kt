package dev.sdj.core.video

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class AudioTrackTest {
    @Test
    fun `a clip's sample frames are its duration times the rate, exact for fractional frame rates`() {
        assertEquals(6000, AudioTrack.framesFor(9, FrameRate(24, 1), 16_000))
        assertEquals(16_000 * 121 / 25, AudioTrack.framesFor(121, FrameRate(25, 1), 16_000))
        // 5 frames at 24000/1001 fps: 5 · 1001 / 24000 s · 48 kHz = 10010 exactly; at 16 kHz 3336.67 → 3337
        assertEquals(10_010, AudioTrack.framesFor(5, FrameRate(24_000, 1001), 48_000))
        assertEquals(3337, AudioTrack.framesFor(5, FrameRate(24_000, 1001), 16_000))
    }

    @Test
    fun `sound is cut or padded with silence to the clip`() {
        val sound = AudioTrack(floatArrayOf(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f), 2, 8)
        assertArrayEquals(floatArrayOf(0.1f, 0.2f), sound.withFrames(1).samples)
        assertArrayEquals(floatArrayOf(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0f, 0f), sound.withFrames(4).samples)
        val clip = SyntheticClip.frames(16, 16, 3, rate = FrameRate(2, 1)).withAudio(sound)
        assertEquals(12, clip.audio!!.frames, "3 frames at 2 fps last 1.5 s: 12 sample frames at 8 Hz")
    }

    @Test
    fun `planar channels are interleaved`() {
        val sound = AudioTrack.fromPlanar(floatArrayOf(1f, 2f, 3f, -1f, -2f, -3f), 2, 16_000)
        assertArrayEquals(floatArrayOf(1f, -1f, 2f, -2f, 3f, -3f), sound.samples)
    }

    @Test
    fun `16-bit PCM clamps and rounds symmetrically`() {
        val pcm = AudioTrack(floatArrayOf(1f, -1f, 2f, -7f, 0.5f, 0f), 1, 8).pcm16()
        val values = List(6) { i -> (pcm[2 * i].toInt() and 0xFF) or (pcm[2 * i + 1].toInt() shl 8) }
        assertEquals(listOf(32767, -32767, 32767, -32767, 16384, 0), values)
    }

    @Test
    fun `samples that do not make whole frames are refused`() {
        assertThrows<IllegalArgumentException> { AudioTrack(FloatArray(3), 2, 16_000) }
    }
}
