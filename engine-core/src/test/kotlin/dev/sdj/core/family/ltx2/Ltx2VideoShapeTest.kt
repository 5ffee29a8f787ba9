package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** LTX-2's alignment and latent sizes as stable-diffusion.cpp derives them from a request. */
class Ltx2VideoShapeTest {
    @Test
    fun `frames round down to 8k + 1 and a single frame stays one`() {
        val aligned = mapOf(1 to 1, 2 to 1, 8 to 1, 9 to 9, 16 to 9, 17 to 17, 33 to 33, 40 to 33, 41 to 41, 121 to 121, 128 to 121)
        for ((requested, frames) in aligned) {
            assertEquals(frames, Ltx2VideoShape(512, 512, requested, 24).frames, "$requested frames")
        }
    }

    @Test
    fun `width and height round up to multiples of 32 and the change is told`() {
        val shape = Ltx2VideoShape(520, 488, 33, 24)
        assertEquals(544, shape.width)
        assertEquals(512, shape.height)
        assertEquals(listOf("LTX-2 size 520x488 aligned up to 544x512 (multiples of 32)"), shape.adjustments)
        assertEquals(listOf("LTX-2 frames 34 aligned down to 33 (8k + 1)"), Ltx2VideoShape(512, 512, 34, 24).adjustments)
        assertTrue(Ltx2VideoShape(768, 512, 33, 24).adjustments.isEmpty())
    }

    @Test
    fun `the video latent is a cell per 32 pixels and per 8 frames after the first, 128 channels`() {
        val clip = Ltx2VideoShape(768, 512, 33, 24)
        assertEquals(24, clip.latentWidth)
        assertEquals(16, clip.latentHeight)
        assertEquals(5, clip.latentFrames)
        assertEquals(24 * 16 * 5, clip.videoTokens)
        assertEquals(24 * 16 * 5 * 128, clip.videoValues)
        val still = Ltx2VideoShape(256, 128, 1, 24)
        assertEquals(1, still.latentFrames)
        assertEquals(8 * 4, still.videoTokens)
        assertEquals(9, Ltx2VideoShape(1280, 736, 65, 24).latentFrames)
    }

    @Test
    fun `the audio latent lasts the clip at 25 steps a second, rounded up`() {
        assertEquals(35, Ltx2VideoShape(512, 512, 33, 24).audioLength, "33/24 s = 34.375 steps")
        assertEquals(2, Ltx2VideoShape(512, 512, 1, 24).audioLength, "1/24 s = 1.04 steps")
        assertEquals(9, Ltx2VideoShape(512, 512, 9, 25).audioLength, "9/25 s = 9 steps exactly")
        assertEquals(16, Ltx2VideoShape(512, 512, 9, 15).audioLength, "9/15 s is 15 steps, but 0.6f · 25 rounds to 15.000001 in float, as sd.cpp computes")
        assertEquals(35 * 8 * 16, Ltx2VideoShape(512, 512, 33, 24).audioValues)
        for (fps in listOf(1, 8, 12, 15, 24, 25, 30, 48, 60, 240)) for (requested in 1..300) {
            val shape = Ltx2VideoShape(64, 64, requested, fps)
            val exact = (25 * shape.frames + fps - 1) / fps
            // Where the duration is a whole number of steps, float rounding may land a hair above it (as in sd.cpp).
            val whole = 25 * shape.frames % fps == 0
            assertTrue(shape.audioLength == exact || whole && shape.audioLength == exact + 1, "${shape.frames} frames at $fps fps")
        }
    }

    @Test
    fun `a request's size, frames and rate make the shape`() {
        val request = GenerationRequest.builder("a cat").size(520, 512).frames(20).fps(30).build()
        val shape = Ltx2VideoShape.of(request)
        assertEquals("544x512, 17 frames at 30 fps", shape.toString())
        assertEquals(17 * 25 / 30 + 1, shape.audioLength)
    }

    @Test
    fun `the parameters text names frames and rate only for a video`() {
        assertEquals(mapOf("Frames" to "33", "FPS" to "24"), Ltx2VideoShape(512, 512, 33, 24).infotext())
        assertEquals(emptyMap<String, String>(), Ltx2VideoShape(512, 512, 1, 24).infotext())
        assertEquals(emptyMap<String, String>(), Ltx2VideoShape(512, 512, 8, 24).infotext(), "8 frames align to a still")
    }
}
