package dev.sdj.core.video

import dev.sdj.core.image.ChannelLayout
import dev.sdj.core.image.RgbImage
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class VideoFramesTest {
    @Test
    fun `decoder output of interleaved frames one after another becomes frames as images convert`() {
        val w = 3
        val h = 2
        val t = 4
        // Each value encodes where it sits, mapped into [-1, 1].
        val values = FloatArray(w * h * t * 3) { i -> (i % 251) / 125f - 1f }
        val video = VideoFrames.fromDecoderOutput(values, w, h, t, FrameRate(24, 1), ChannelLayout.INTERLEAVED)
        assertEquals(t, video.frameCount)
        for (frame in 0 until t) for (y in 0 until h) for (x in 0 until w) for (c in 0 until 3) {
            val v = values[c + 3 * (x + w * (y + h * frame))]
            val single = RgbImage.fromDecoderOutput(floatArrayOf(v, v, v), 1, 1).pixels[0]
            assertEquals(single, video.frames[frame].pixels[(y * w + x) * 3 + c], "frame $frame ($x, $y) channel $c")
        }
    }

    @Test
    fun `a NaN names its frame`() {
        val values = FloatArray(2 * 2 * 3 * 3)
        values[2 * 2 * 3 * 2 + 1] = Float.NaN // frame 2
        val e = assertThrows<IllegalArgumentException> { VideoFrames.fromDecoderOutput(values, 2, 2, 3, FrameRate(24, 1), ChannelLayout.PLANAR) }
        assertTrue(e.message!!.startsWith("frame 2:"), e.message)
    }

    @Test
    fun `a wrong value count or mixed frame sizes are refused`() {
        assertThrows<IllegalArgumentException> { VideoFrames.fromDecoderOutput(FloatArray(35), 2, 2, 3, FrameRate(24, 1), ChannelLayout.PLANAR) }
        val e = assertThrows<IllegalArgumentException> {
            VideoFrames(listOf(RgbImage(2, 2, ByteArray(12)), RgbImage(2, 3, ByteArray(18))), FrameRate(24, 1))
        }
        assertTrue(e.message!!.contains("frame 1 is 2x3"), e.message)
        assertThrows<IllegalArgumentException> { VideoFrames(emptyList(), FrameRate(24, 1)) }
    }

    @Test
    fun `the API's form shares the frames and keeps the exact rate`() {
        val video = SyntheticClip.frames(6, 4, 3, rate = FrameRate(24000, 1001))
        val api = video.toGeneratedVideo()
        assertEquals(24000, api.frameRateNumerator())
        assertEquals(1001, api.frameRateDenominator())
        val back = VideoFrames.of(api)
        assertEquals(video.rate, back.rate)
        for (i in 0 until 3) assertTrue(video.frames[i].pixels === back.frames[i].pixels, "frame $i shared")
    }
}
