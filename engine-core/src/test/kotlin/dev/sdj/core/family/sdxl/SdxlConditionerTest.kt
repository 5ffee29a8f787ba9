package dev.sdj.core.family.sdxl

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.clip.ClipReference64
import dev.sdj.core.family.clip.ClipTestVocabulary
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * The SDXL conditioner on two random tiny encoders — a CLIP-L-like one (quick GELU, width 64) and a bigG-like one
 * (GELU, width 128, a 96-wide OpenCLIP projection), three layers each — with a small generated BPE vocabulary,
 * against the float64 encoders of [ClipReference64] and stable-diffusion.cpp's rules written out here: penultimate
 * layers without final norm joined per token (CLIP-L first), bigG reading zeros after the first end token,
 * emphasis over the joined states with the mean restored, y from the first chunk's pooled embedding and the size
 * embeddings, and an all-zero context for an empty negative prompt.
 *
 * [ENCODED] 2e-3 [1.7e-4 … 2.3e-4 cpu, 4.8e-4 lavapipe]: the encoders' own error (see ClipSdxlOutputsTest); y's
 * size part is exact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlConditionerTest {
    private val tokenizer = ClipTokenizer(ClipVocabulary.tinyGenerated(100))
    private val vocab = tokenizer.vocab.size
    private val clipL = ClipReference64.weights(RandomWeights(41), hidden = 64, layers = 3, vocab = vocab, positions = 77)
    private val bigG = ClipReference64.weights(RandomWeights(42), hidden = 128, layers = 3, vocab = vocab, positions = 77, projection = 96)
    private val size = SizeConditioning.of(width = 1152, height = 896)

    @AfterAll
    fun close() {
        clipL.close()
        bigG.close()
    }

    /** One prompt's conditioning: the UNet context and y. */
    private class Conditioning(val context: FloatArray, val y: FloatArray)

    /** Both encoders in one session, then the context and y as the SDXL pipeline's denoising phase assembles them. */
    private fun encode(device: Device, prompt: String, negative: String?): List<Conditioning> {
        val prompts = listOfNotNull(prompt, negative)
        val conditioner = SdxlConditioner(tokenizer)
        val bigGWeights = bigG.on(device)
        return GraphSession(clipL.ggml, device.bufferType(), ComputeBackends.open(device, 2)).use { session ->
            val l = conditioner.encodeClipL(session, clipL.on(device).at("text_model"), prompts, clipSkip = 2) { _, _ -> }
            val g = conditioner.encodeBigG(session, bigGWeights.at("text_model"), bigGWeights, prompts, clipSkip = 2) { _, _ -> }
            val width = bigGWeights.get("text_model.embeddings.token_embedding.weight").ne(0).toInt()
            conditioner.contexts(prompts, l, g, width).zip(conditioner.pooled(g, width)).map { (c, p) -> Conditioning(c, size.vector(p)) }
        }
    }

    /** stable-diffusion.cpp's conditioning of one prompt, chunk by chunk, in float64. */
    private fun expected(prompt: String, chunks: Int, zeroContext: Boolean = false): Pair<Nd, FloatArray> {
        val tokens = tokenizer.tokenizeWeighted(prompt, 77, tokenizer.vocab.eosId)
        val context = Nd(192, 77 * chunks)
        var pooled = FloatArray(0)
        for (c in 0 until chunks) {
            val chunk = if (c < tokens.chunkCount) tokens.chunk(c) else tokenizer.tokenizeWeighted("", 77, tokenizer.vocab.eosId)
            val ids = chunk.ids.toIntArray()
            val end = ids.indexOf(tokenizer.vocab.eosId)
            val gIds = IntArray(77) { if (it > end) 0 else ids[it] }
            val l = ClipReference64.layerOutputs(clipL.reference.at("text_model"), ids, quickGelu = true)[2]
            val g = ClipReference64.layerOutputs(bigG.reference.at("text_model"), gIds, quickGelu = false)[2]
            val joined = DoubleArray(192 * 77) { i -> val t = i / 192; val k = i % 192; if (k < 64) l.d[k + 64 * t] else g.d[k - 64 + 128 * t] }
            val before = joined.average()
            for (i in joined.indices) joined[i] *= chunk.weights[i / 192].toDouble()
            val ratio = before / joined.average()
            for (i in joined.indices) context.d[c * 192 * 77 + i] = if (zeroContext) 0.0 else joined[i] * ratio
            if (c == 0) pooled = ClipReference64.pooled(bigG.reference, gIds, quickGelu = false).toFloats()
        }
        return context to size.vector(pooled)
    }

    private fun assertConditioning(actual: Conditioning, expected: Pair<Nd, FloatArray>, what: String) {
        if (expected.first.d.all { it == 0.0 }) assertTrue(actual.context.all { it == 0f }, "$what: context should be all zeros")
        else assertClose(actual.context, expected.first, ENCODED, "$what context")
        assertClose(actual.y.copyOfRange(0, 96), Nd.of(expected.second.copyOfRange(0, 96), 96), ENCODED, "$what pooled")
        assertArrayEquals(expected.second.copyOfRange(96, expected.second.size), actual.y.copyOfRange(96, actual.y.size), "$what size embeddings")
    }

    @Test
    fun `prompt with emphasis and an empty negative prompt`() {
        val out = encode(clipL.cpu, "a photo of a (cat:1.3) on a [mat]", "")
        assertEquals(2, out.size)
        assertConditioning(out[0], expected("a photo of a (cat:1.3) on a [mat]", 1), "emphasised prompt (cpu)")
        assertConditioning(out[1], expected("", 1, zeroContext = true), "empty negative prompt (cpu)")
    }

    /** Chunks join along the tokens; y keeps the first chunk's pooled embedding; the shorter prompt gets empty chunks. */
    @Test
    fun `long prompt in two chunks and a short negative prompt`() {
        val long = (1..25).joinToString(" ") { "a red apple" }
        val chunks = SdxlConditioner(tokenizer).chunkCount(listOf(long))
        assertTrue(chunks >= 2, "the long prompt should need several chunks")
        val out = encode(clipL.cpu, long, "a dog")
        assertEquals(192 * 77 * chunks, out[0].context.size)
        assertConditioning(out[0], expected(long, chunks), "$chunks-chunk prompt (cpu)")
        assertConditioning(out[1], expected("a dog", chunks), "one-chunk negative prompt padded to $chunks (cpu)")
    }

    @Test
    fun `unguided encoding on Vulkan`() {
        val out = encode(clipL.vulkan(), "a castle on a hill", null)
        assertEquals(1, out.size)
        assertConditioning(out[0], expected("a castle on a hill", 1), "prompt (vulkan)")
    }

    @Test
    fun `bigG reads zeros after the first end token, pooled at that token`() {
        assertEquals(listOf(1, 5, 9, 0, 0), SdxlConditioner.bigGIds(listOf(1, 5, 9, 9, 9), eosId = 9))
        assertEquals(2, SdxlConditioner.eosPosition(listOf(1, 5, 9, 9, 9), eosId = 9))
        assertEquals(4, SdxlConditioner.eosPosition(listOf(1, 5, 6, 7, 8), eosId = 9))
    }

    /**
     * With CLIP's real vocabulary both encoders read one tokenization: CLIP-L pads with the end token (49407), bigG
     * with 0 after it; 49407 being the largest id, the first end token is where OpenCLIP's argmax pools.
     */
    @Test
    fun `with CLIP's vocabulary CLIP-L pads with the end token and bigG with zeros`() {
        val t = ClipTestVocabulary.tokenizer
        val ids = t.tokenizeWeighted("a photo of a cat", 77, t.vocab.eosId).ids
        assertEquals(listOf(49406, 320, 1125, 539, 320, 2368, 49407, 49407), ids.take(8))
        assertEquals(49407, ids.last())
        val g = SdxlConditioner.bigGIds(ids, t.vocab.eosId)
        assertEquals(listOf(49406, 320, 1125, 539, 320, 2368, 49407) + List(70) { 0 }, g)
        assertEquals(g.indexOf(g.max()), SdxlConditioner.eosPosition(ids, t.vocab.eosId))
    }

    @Test
    fun `join puts each token's CLIP-L state before its bigG state`() {
        val l = floatArrayOf(1f, 2f, 3f, 4f)                   // width 2, tokens 2
        val g = floatArrayOf(10f, 11f, 12f, 20f, 21f, 22f, 99f) // width 3, tokens 2, then a pooled value
        assertArrayEquals(floatArrayOf(1f, 2f, 10f, 11f, 12f, 3f, 4f, 20f, 21f, 22f), SdxlConditioner.join(l, g, gWidth = 3, tokens = 2))
    }

    private companion object {
        const val ENCODED = 2e-3
    }
}
