package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random
import kotlin.math.abs

/**
 * LTX-2.3's bandwidth extension (16 → 48 kHz) against [Ltx2BweReference64], f32 weights; errors max|ggml − ref| / max|ref|,
 * bounds a few times above what these seeds give (in brackets):
 * - the causal STFT log-mel [MEL] 1e-5 on the CPU [9.7e-8]; [MEL_VULKAN] 5e-3 on lavapipe (f32 products with f16
 *   operands) [6.4e-4];
 * - the ×3 Hann-sinc copy [MEL] on the CPU [8.6e-8];
 * - the whole chain through [Ltx2Vocoding] [WHOLE] 1e-4 on the CPU [8.2e-7];
 * - the chain decoded in windows with the chain's reach as context against the whole: [EXACT] 1e-6 [0: each kept
 *   sample computed by the same operations on the same inputs].
 * The decodes run on one CPU thread: on a shared machine two threads wait on each other at every node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2BandwidthExtensionTest {
    private val tiny = Ltx2VocoderReference64.weights(51, bwe = BWE)
    private val bweDims = Ltx2BweDimensions.of(tiny.on(), TinyLtx2Vocoder.TINY)!!
    private val extension = Ltx2BandwidthExtension(bweDims)

    @AfterAll
    fun close() = tiny.close()

    @Test
    fun `the extension's sizes are read from the weights, and the chain's reach bounds its windows' context`() {
        assertEquals(BWE, bweDims.generator)
        assertEquals(512, bweDims.fftTaps)
        assertEquals(257L, bweDims.frequencies)
        assertEquals(240, BWE.hop)
        val vocoding = Ltx2Vocoding(tiny.on())
        assertEquals(48_000, vocoding.sampleRate)
        assertEquals(480, vocoding.samplesPerFrame)
        // the reach depends on the kernels and rates only: the tiny generator's are LTX-2.3's
        val real = Ltx2BweDimensions(TinyLtx2Vocoder.tinyBwe(), 512, 257, 64)
        println("chain reach: LTX-2.3 base ${Ltx2VocoderDimensions.LTX_2_3.reach}, BWE generator ${real.generator.reach} (80-sample frames), " +
            "chain ${real.reach(Ltx2VocoderDimensions.LTX_2_3)} mel frames")
        assertEquals(64, real.reach(Ltx2VocoderDimensions.LTX_2_3))
        Ltx2VocoderReference64.weights(52).use { base ->
            assertNull(Ltx2BweDimensions.of(base.on(), TinyLtx2Vocoder.TINY), "no bwe_generator: no extension")
            assertEquals(16_000, Ltx2Vocoding(base.on()).sampleRate)
        }
    }

    @Test
    fun `a vocoder whose extension lacks a tensor is refused by its name`() {
        for (missing in listOf(Ltx2BweDimensions.MEL_BASIS, "bwe_generator.resblocks.4.acts2.1.act.beta")) {
            RandomWeights(3).use { w ->
                for (e in TinyLtx2Vocoder(bwe = BWE).entries) if (e.name != missing) {
                    w.add(e.name, *ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray())
                }
                val e = assertThrows(IllegalArgumentException::class.java) { Ltx2Vocoding(w.on()) }
                assertTrue(missing in e.message!!, e.message)
            }
        }
    }

    @Test
    fun `the upsampling kernels and the mel bases stay f32 on the device`() {
        assertTrue(Ltx2Vocoding.keepsF32("vocoder.ups.5.weight"))
        assertTrue(Ltx2Vocoding.keepsF32("bwe_generator.ups.0.weight"))
        assertTrue(Ltx2Vocoding.keepsF32(Ltx2BweDimensions.STFT_BASIS))
        assertTrue(Ltx2Vocoding.keepsF32(Ltx2BweDimensions.MEL_BASIS))
        assertFalse(Ltx2Vocoding.keepsF32("vocoder.ups.0.bias"))
        assertFalse(Ltx2Vocoding.keepsF32("vocoder.resblocks.0.convs1.0.weight"))
    }

    private fun logMel(device: Device, seed: Long) {
        val wave = Nd.random(Random(seed), 0.3, 400, 2)
        val actual = tiny.run(device, mapOf("x" to wave)) { b -> extension.logMel(b.nn.ctx, tiny.on(device), b.input("x", GgmlType.F32, 400, 2)) }
        val expected = Ltx2BweReference64.logMel(wave, tiny.reference)
        assertEquals(listOf(64, 5, 2), expected.ne.toList())
        assertClose(actual, expected, if (device == tiny.cpu) MEL else MEL_VULKAN, "causal STFT log-mel, 400 samples × 2 (${device.name()})")
    }

    @Test
    fun `the causal STFT log-mel on the CPU`() = logMel(tiny.cpu, 1)

    @Test
    fun `the causal STFT log-mel on Vulkan`() = logMel(tiny.vulkan(), 2)

    @Test
    fun `the Hann-sinc copy triples the samples on the CPU`() {
        val wave = Nd.random(Random(3), 0.3, 50, 2)
        val kernel = Nd.of(extension.resampler.polyphase, Ltx2HannResampler.WINDOW, 3)
        val actual = tiny.run(tiny.cpu, mapOf("x" to wave, "k" to kernel)) { b ->
            extension.upsampled(b.nn.ctx, b.input("x", GgmlType.F32, 50, 2), b.input("k", GgmlType.F32, Ltx2HannResampler.WINDOW.toLong(), 3))
        }
        assertClose(actual, Ltx2BweReference64.upsampled(wave, 3), MEL, "Hann-sinc ×3, 50 samples × 2 (CPU)")
    }

    private fun decode(weights: RandomWeights, mel: Nd, frames: Int, chunking: Ltx2VocoderChunking? = null): Ltx2Waveform =
        GraphSession(weights.ggml, weights.cpu.bufferType(), ComputeBackends.open(weights.cpu, 1)).use { session ->
            Ltx2Vocoding(weights.on(), chunking).decode(mel.toFloats(), frames, session)
        }

    @Test
    fun `the tiny vocoder with its extension turns 6 mel frames into 2880 samples at 48 kHz`() {
        val mel = Nd.random(Random(4), 1.0, 64, 6, 2)
        val wave = decode(tiny, mel, 6)
        assertEquals(48_000, wave.sampleRate)
        assertEquals(6 * 480, wave.length)
        val expected = Ltx2BweReference64.extended(tiny.reference, TinyLtx2Vocoder.TINY, BWE, mel)
        assertEquals(listOf(2880, 2), expected.ne.toList())
        assertClose(wave.samples, expected, WHOLE, "LTX-2.3 vocoder + extension, 6 mel frames → 2880 stereo samples at 48 kHz (CPU)")
    }

    @Test
    fun `the chain in windows equals the whole decode with the chain's reach as context, and not with a quarter of the base's`() {
        Ltx2VocoderReference64.weights(53, ONE_BLOCK, bwe = ONE_BLOCK_BWE).use { w ->
            val vocoding = Ltx2Vocoding(w.on())
            val reach = vocoding.reach
            val frames = 2 * reach + 2
            val mel = Nd.random(Random(5), 1.0, 64, frames, 2)
            val whole = decode(w, mel, frames, Ltx2VocoderChunking(frames, reach))
            val chunked = decode(w, mel, frames, Ltx2VocoderChunking(1, reach))
            val little = ONE_BLOCK.reach / 4
            val short = decode(w, mel, frames, Ltx2VocoderChunking(frames / 2 - little, little))
            assertEquals(2, Ltx2VocoderChunking(1, reach).windows(frames).size)
            fun difference(a: Ltx2Waveform) = a.samples.indices.maxOf { abs(a.samples[it].toDouble() - whole.samples[it]) } / whole.samples.maxOf { abs(it) }
            println("vocoder + extension in windows, context $reach against the whole: %.2e; context $little: %.2e"
                .format(difference(chunked), difference(short)))
            assertTrue(difference(chunked) <= EXACT, "chunked decode differs from the whole by ${difference(chunked)}")
            assertTrue(difference(short) > 10 * EXACT, "too little context changes the samples")
        }
    }

    private companion object {
        val BWE = TinyLtx2Vocoder.tinyBwe()
        val ONE_BLOCK = TinyLtx2Vocoder.TINY.copy(blockKernels = listOf(3))
        val ONE_BLOCK_BWE = TinyLtx2Vocoder.tinyBwe(listOf(3))
        const val MEL = 1e-5
        const val MEL_VULKAN = 5e-3
        const val WHOLE = 1e-4
        const val EXACT = 1e-6
    }
}
