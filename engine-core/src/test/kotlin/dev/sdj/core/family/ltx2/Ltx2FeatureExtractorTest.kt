package dev.sdj.core.family.ltx2

import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.ltx2.Ltx2TinyText.HIDDEN
import dev.sdj.core.family.ltx2.Ltx2TinyText.PLANES
import dev.sdj.core.family.ltx2.Ltx2TinyText.TOKENS
import dev.sdj.core.family.ltx2.Ltx2TinyText.VALID
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * [Ltx2FeatureExtractor] against [Ltx2Reference64] on [Ltx2TinyText]'s stack (3 states of very different sizes,
 * hidden 32, 12 tokens of which the first 4 are padding ×1000) and f32 projections to 64 (video) and 32 (audio).
 *
 * Errors are max|ggml − ref| / max|ref|; bounds a few times above what these seeds give (in brackets). Measured on the
 * reference, the mistakes this catches (video): the hidden index fastest in the flattening instead of the state index
 * 1.5, the norm over the states instead of the hidden width 1.1, the scale √(out / (hidden·states)) instead of
 * √(out / hidden) 0.41, the first tokens (padding) taken instead of the last ones 1.6.
 * - [CPU] 1e-5 [video 1.5e-7, audio 1.6e-7]: f32 throughout, 96-long dot products.
 * - [VULKAN] 1e-5 [video 1.2e-7, audio 1.3e-7 on lavapipe]: the projection asks for f32 precision (as sd.cpp does for
 *   its 188 160-long products), and lavapipe then does not round the operands to f16 as it does for other products.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2FeatureExtractorTest {
    private val weights = Ltx2TinyText.weights(21)
    private val stack = Ltx2TinyText.stack(22)

    @AfterAll
    fun close() = weights.close()

    private fun run(device: Device, audio: Boolean): FloatArray =
        weights.run(device, floats = mapOf("stack" to stack)) { g ->
            val w = weights.on(device)
            val s = g.input("stack", GgmlType.F32, HIDDEN.toLong(), TOKENS.toLong(), PLANES.toLong())
            if (audio) Ltx2FeatureExtractor.audio(g.nn, w, s, VALID) else Ltx2FeatureExtractor.video(g.nn, w, s, VALID)
        }

    private fun reference(audio: Boolean): Nd {
        val name = if (audio) Ltx2TextArchitecture.AUDIO_AGGREGATE else Ltx2TextArchitecture.VIDEO_AGGREGATE
        return Ltx2Reference64.project(weights.reference.at(name), Ltx2Reference64.features(stack, VALID), HIDDEN)
    }

    private fun check(device: Device, audio: Boolean, bound: Double) {
        val expected = reference(audio)
        assertEquals(listOf(if (audio) 32 else 64, VALID), expected.ne.toList())
        assertClose(run(device, audio), expected, bound, "LTX-2 features, ${if (audio) "audio" else "video"} (${device.name()})")
    }

    @Test
    fun `video features on the CPU`() = check(weights.cpu, false, CPU)

    @Test
    fun `audio features on the CPU`() = check(weights.cpu, true, CPU)

    @Test
    fun `video features on Vulkan`() = check(weights.vulkan(), false, VULKAN)

    @Test
    fun `audio features on Vulkan`() = check(weights.vulkan(), true, VULKAN)

    private companion object {
        const val CPU = 1e-5
        const val VULKAN = 1e-5
    }
}
