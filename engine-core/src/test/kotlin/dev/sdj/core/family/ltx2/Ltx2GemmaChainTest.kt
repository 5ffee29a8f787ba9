package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.gemma3.Gemma3Encoder
import dev.sdj.core.family.gemma3.Gemma3Prompt
import dev.sdj.core.family.gemma3.Gemma3Reference64
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nd
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * A prompt end to end on the CPU: a tiny Gemma-3 (hidden 32, 2 heads of 16 over 1 key/value head, 2 layers, so 3
 * states; window 4) encodes 12 tokens of which 4 are padding, and [Ltx2TextContext] turns its stack into both
 * contexts, each through its own graph, the stack handed over as the context graph's input. Against the two float64
 * references chained the same way.
 *
 * The two graphs are separate because the encoder's stack is written by copies its output does not depend on
 * ([Gemma3Encoder.build]): a consumer of the stack in the same graph would run before them.
 *
 * [BOUND] 2e-3 [3.3e-4]: the stack's own rounding (Gemma3EncoderTest) normalised per token, then the connectors'.
 */
class Ltx2GemmaChainTest {
    private val shape = Gemma3Reference64.Shape(hidden = 32, heads = 2, kvHeads = 1, headDim = 16, feedForward = 64, layers = 2, vocabulary = 50)

    @Test
    fun `a prompt through Gemma and both connectors on the CPU`() {
        RandomWeights(41).use { gemma ->
            Ltx2TinyText.weights(42).use { dit ->
                Gemma3Reference64.weights(gemma, shape)
                val cpu = gemma.cpu
                val prompt = Gemma3Prompt.of(Random(43).let { r -> IntArray(7) { 4 + r.nextInt(shape.vocabulary - 4) } }, Ltx2TinyText.TOKENS)
                assertEquals(Ltx2TinyText.PADDING, prompt.padding)
                val gw = gemma.on(cpu)
                val encoder = Gemma3Encoder.of(gw, window = WINDOW)
                val stack = CompiledGraph(gemma.ggml, cpu.bufferType()) { g -> encoder.build(g, gw, prompt.ids.size.toLong()) }.use { graph ->
                    encoder.setInputs(graph, prompt)
                    ComputeBackends.open(cpu, 2).use { graph.run(it) }
                }
                val dw = dit.on(cpu)
                val text = Ltx2TextContext.of(dw)
                val actual = CompiledGraph(dit.ggml, cpu.bufferType()) { g ->
                    text.build(g, dw, shape.hidden.toLong(), prompt.ids.size.toLong(), shape.layers + 1L, prompt.valid)
                }.use { graph ->
                    graph.input(Ltx2TextContext.STATES).setFloats(stack)
                    text.setInputs(graph, prompt.valid)
                    ComputeBackends.open(cpu, 2).use { graph.run(it) }
                }
                val states = Gemma3Reference64.encode(gemma.reference, prompt.ids, shape, prompt.padding, WINDOW)
                val expected = Ltx2Reference64.context(dit.reference, Nd(intArrayOf(shape.hidden, prompt.ids.size, shape.layers + 1), states.d),
                    prompt.valid, Ltx2TinyText.VIDEO, Ltx2TinyText.AUDIO)
                assertClose(actual, expected, BOUND, "Gemma-3 → LTX-2 text contexts, end to end (cpu)")
            }
        }
    }

    private companion object {
        const val WINDOW = 4
        const val BOUND = 2e-3
    }
}
