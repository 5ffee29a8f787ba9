package dev.sdj.core.family.t5

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * [T5Encoder] against the float64 reference written from Hugging Face's T5EncoderModel ([T5Reference64]), on a tiny
 * T5 of f32 weights: d_model 64, 4 heads of 24 (so q's width, 96, is not d_model's, as in T5 v1.1 small), d_ff 128,
 * 2 blocks, 32 buckets, T5 v1.1's 32128-row embedding. Sequences of 40 tokens reach bucket 12 on both sides, so the
 * exact and the logarithmic buckets are both exercised.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds sit a few times above what these seeds give (in brackets). Every
 * branch here is as large as the residual it adds to (fan-in scaled weights), so rounding in a branch shows almost
 * undiminished; bugs show far above the bounds: a transposed bucket table gave 0.66 to 1.15 on every test, and
 * without the wo input scaling the f16 tests give NaN on both backends.
 * - [CPU] 1.5e-3 [block 2.1e-4, encoder 2.4e-4, prompt 4.9e-4, table per block 5.9e-4]: everything is f32 but
 *   GELU, which ggml's CPU backend looks up in a table at f16 inputs (a lone GELU of N(0, 8²) inputs: 1.2e-4), in
 *   the feed-forward branch.
 * - [VULKAN] 6e-3 [block 9.8e-4, encoder 2.0e-3 on lavapipe]: ggml-vulkan on lavapipe rounds mul_mat operands to
 *   f16 even for f32 weights (a lone f32 linear 64 → 96: 1.8e-4 there, 8e-8 on the CPU; asking for f32 precision
 *   changes nothing), in every projection, and two blocks compound it.
 * - [F16_WO] 5e-3 [cpu 2.8e-4, lavapipe 1.4e-3]: wo stored in f16 and a gated product near 3e5, past f16's 65504.
 *   Both backends round wo's input to f16 (4.9e-4 relative at most, after sd.cpp's 1/32 scaling); without the
 *   scaling the product becomes infinite and the output NaN, failing on the non-finite value.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class T5EncoderTest {
    private val shape = T5Reference64.Shape(model = 64, heads = 4, headSize = 24, feedForward = 128, layers = 2, vocabulary = 32128)
    private val weights = T5Reference64.weights(RandomWeights(5), shape)
    private val cpu = weights.cpu

    @AfterAll
    fun close() = weights.close()

    @Test
    fun `dimensions are read from the weights`() {
        assertEquals(T5Dimensions(model = 64, heads = 4, inner = 96, feedForward = 128, layers = 2, buckets = 32, vocabulary = 32128),
            T5Dimensions.of(weights.on(cpu)))
        assertEquals(24L, T5Dimensions.of(weights.on(cpu)).headSize)
    }

    /** Block 1 (which has no table of its own) with the bias computed from block 0's table, as the stack runs it. */
    private fun runBlock(w: RandomWeights, device: Device, x: Nd): FloatArray {
        val t = x.ne(1)
        val buckets = T5RelativePositions.table(t, shape.buckets)
        return w.run(device, floats = mapOf("x" to x), ints = mapOf("buckets" to buckets)) { g ->
            val on = w.on(device)
            val encoder = T5Encoder.of(on)
            val bias = encoder.positionBias(g.nn, on.get(T5Reference64.BIAS_TABLE), g.input("buckets", GgmlType.I32, t.toLong() * t), t.toLong())
            encoder.block(g.nn, on.at("encoder.block.1"), g.input("x", GgmlType.F32, shape.model.toLong(), t.toLong(), 1), bias)
        }
    }

    private fun referenceBlock(w: RandomWeights, x: Nd): Nd =
        T5Reference64.block(w.reference.at("encoder.block.1"), x, shape.heads, w.reference.get(T5Reference64.BIAS_TABLE))

    @Test
    fun `one block on the CPU`() {
        val x = Nd.random(Random(1), 1.0, shape.model, 40, 1)
        assertClose(runBlock(weights, cpu, x), referenceBlock(weights, x), CPU, "T5 block, 40 tokens (cpu)")
    }

    @Test
    fun `one block on Vulkan`() {
        val x = Nd.random(Random(2), 1.0, shape.model, 40, 1)
        assertClose(runBlock(weights, weights.vulkan(), x), referenceBlock(weights, x), VULKAN, "T5 block, 40 tokens (vulkan)")
    }

    /** Through [T5Encoder.build] and [T5Encoder.setInputs], as the pipeline calls them. */
    private fun encode(device: Device, ids: IntArray): FloatArray {
        val w = weights.on(device)
        val encoder = T5Encoder.of(w)
        val graph = CompiledGraph(weights.ggml, device.bufferType()) { g -> encoder.build(g, w, ids.size.toLong()) }
        try {
            assertEquals(listOf(64L, ids.size.toLong(), 1L, 1L), graph.output.shape().toList(), "hidden states [d_model, tokens, 1]")
            encoder.setInputs(graph, ids)
            return ComputeBackends.open(device, 2).use { graph.run(it) }
        } finally {
            graph.close()
        }
    }

    private fun randomIds(seed: Long, n: Int): IntArray = Random(seed).let { r -> IntArray(n) { r.nextInt(shape.vocabulary) } }

    @Test
    fun `whole encoder on the CPU`() {
        val ids = randomIds(3, 40)
        assertClose(encode(cpu, ids), T5Reference64.encode(weights.reference, ids), CPU, "T5 encoder, 2 blocks, 40 tokens (cpu)")
    }

    @Test
    fun `whole encoder on Vulkan`() {
        val ids = randomIds(4, 40)
        assertClose(encode(weights.vulkan(), ids), T5Reference64.encode(weights.reference, ids), VULKAN, "T5 encoder, 2 blocks, 40 tokens (vulkan)")
    }

    /**
     * A prompt tokenized by the real T5 tokenizer, padded to 48 as Flux pads to 256: the padding takes part in
     * attention (the reference has no mask either), so the hidden states of the words depend on it.
     */
    @Test
    fun `a tokenized prompt runs through the encoder`() {
        val tokens = T5TestVocabulary.tokenizer.tokenize("a lighthouse at dusk, oil painting", 48)
        val ids = tokens.ids.toIntArray()
        assertTrue(ids.count { it == 0 } > 30 && 1 in ids, "the prompt is short, ends in </s> and is padded: ${ids.toList()}")
        assertClose(encode(cpu, ids), T5Reference64.encode(weights.reference, ids), CPU, "T5 encoder, tokenized prompt (cpu)")
    }

    /**
     * UMT5's layout, which Hugging Face's code runs the same way: every block with its own bias table, and the
     * embedding under the encoder's tied name only.
     */
    @Test
    fun `a block's own bias table and the tied embedding name`() {
        RandomWeights(8).use { rw ->
            T5Reference64.weights(rw, T5Reference64.Shape(32, 2, 16, 64, 3, 100), tablePerBlock = true, embedding = "encoder.embed_tokens.weight")
            val w = rw.on(cpu)
            val encoder = T5Encoder.of(w)
            assertEquals(100L, encoder.dimensions.vocabulary)
            val ids = randomIds(9, 20).map { it % 100 }.toIntArray()
            val out = CompiledGraph(rw.ggml, cpu.bufferType()) { g -> encoder.build(g, w, ids.size.toLong()) }.use { graph ->
                encoder.setInputs(graph, ids)
                ComputeBackends.open(cpu, 2).use { graph.run(it) }
            }
            assertClose(out, T5Reference64.encode(rw.reference, ids), CPU, "T5 encoder, a table per block (cpu)")
        }
    }

    @Test
    fun `setInputs refuses ids the graph was not built for`() {
        val w = weights.on(cpu)
        val encoder = T5Encoder.of(w)
        CompiledGraph(weights.ggml, cpu.bufferType()) { g -> encoder.build(g, w, 8) }.use { graph ->
            val wrongLength = runCatching { encoder.setInputs(graph, IntArray(9)) }.exceptionOrNull()
            assertTrue(wrongLength is IllegalArgumentException, "9 ids into an 8-token graph: $wrongLength")
            val outside = runCatching { encoder.setInputs(graph, IntArray(8) { 32128 }) }.exceptionOrNull()
            assertTrue(outside is IllegalArgumentException, "an id past the embedding: $outside")
        }
    }

    /** A feed-forward product beyond f16's range with an f16 wo, the case T5-XXL's f16 checkpoints meet. */
    private fun largeFeedForward(device: Device, seed: Int) {
        RandomWeights(seed.toLong()).use { w ->
            T5Reference64.weights(w, T5Reference64.Shape(64, 4, 16, 128, 2, 64), woType = GgmlType.F16, ffInStd = 30.0, unitNorms = true)
            val x = Nd.random(Random(seed.toLong()), 1.0, 64, 12, 1)
            val expected = referenceBlock(w, x)
            val gated = T5Reference64.largestGatedProduct(w.reference.at("encoder.block.1"), x, w.reference.get(T5Reference64.BIAS_TABLE), 4)
            assertTrue(gated > 2 * 65504, "the gated product reaches $gated, past f16")
            assertClose(runBlock(w, device, x), expected, F16_WO, "T5 block, f16 wo, gated product ${"%.1e".format(gated)} (${device.name()})")
        }
    }

    @Test
    fun `an f16 wo takes a gated product beyond f16 on the CPU`() = largeFeedForward(cpu, 6)

    @Test
    fun `an f16 wo takes a gated product beyond f16 on Vulkan`() = largeFeedForward(weights.vulkan(), 7)

    private companion object {
        const val CPU = 1.5e-3
        const val VULKAN = 6e-3
        const val F16_WO = 5e-3
    }
}
