package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.gemma3.Gemma3Component
import dev.sdj.core.family.gemma3.Gemma3Encoder
import dev.sdj.core.family.gemma3.Gemma3ModelVocabulary
import dev.sdj.core.family.gemma3.Gemma3Prompt
import dev.sdj.core.family.gemma3.Gemma3Tokenizer
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.math.abs

/**
 * The generated conditioner runs: a prompt tokenized with the GGUF's vocabulary, encoded by the Gemma of either layout
 * (GGUF, norm weights 1 + w; Hugging Face safetensors, w) and connected, on the CPU. Both layouts hold the same
 * function, so their contexts agree to f32 rounding; the values stay finite and of unit size after the final norm.
 */
class TinyLtx2TextEncodeTest {
    @TempDir
    lateinit var dir: Path

    private val tiny = TinyLtx2Text()
    private val ggml = Ggml.get()
    private val cpu = ggml.cpu()

    private fun <T> loaded(component: Component, use: (MapWeights) -> T): T {
        val specs = ParamSpecs.of(component, DeviceTypeSupport.of(ggml, cpu)).specs
        val (buffer, _) = ParamLoader().use { it.allocateAndLoad(ggml, MemoryLedger(), cpu.bufferType(), specs, component.tensors, component.kind.label) }
        return buffer.use { use(MapWeights(it.names.associateWith(it::tensor))) }
    }

    private fun context(model: AssembledModel, prompt: Gemma3Prompt): FloatArray {
        val stack = loaded(model.components.getValue(ComponentKind.TEXT_ENCODER)) { w ->
            val encoder = Gemma3Encoder.of(w, Gemma3Component.normWeights(model))
            CompiledGraph(ggml, cpu.bufferType()) { g -> encoder.build(g, w, prompt.ids.size.toLong()) }.use { graph ->
                encoder.setInputs(graph, prompt)
                ComputeBackends.open(cpu, 2).use { graph.run(it) }
            }
        }
        val g = tiny.shapes.gemma
        return loaded(model.components.getValue(ComponentKind.TEXT_CONNECTORS)) { w ->
            val text = Ltx2TextContext.of(w)
            CompiledGraph(ggml, cpu.bufferType()) { b -> text.build(b, w, g.hidden, prompt.ids.size.toLong(), g.layers + 1L, prompt.valid) }.use { graph ->
                graph.input(Ltx2TextContext.STATES).setFloats(stack)
                text.setInputs(graph, prompt.valid)
                ComputeBackends.open(cpu, 2).use { graph.run(it) }
            }
        }
    }

    @Test
    fun `a prompt encodes to the same finite contexts from the GGUF and from Hugging Face safetensors`() {
        val files = tiny.writeFiles(dir)
        val fromGguf = ModelAssembly.assemble(ModelOpener.open(files.all))
        val ids = Gemma3Tokenizer(Gemma3ModelVocabulary.of(fromGguf)).encode("a dog in the sea, a cat on the video", addSpecialTokens = false)
        val prompt = Gemma3Prompt.of(ids.toIntArray(), 32)
        val hf = tiny.writeGemmaHuggingFace(dir.resolve("hf/model.safetensors"))
        val fromHf = ModelAssembly.assemble(ModelOpener.open(listOf(hf, files.connectors, files.projections)))

        val a = context(fromGguf, prompt)
        val b = context(fromHf, prompt)
        val width = tiny.shapes.video.width + tiny.shapes.audio.width
        assertEquals(width * tiny.shapes.video.sequence(prompt.valid), a.size.toLong())
        assertTrue(a.all { it.isFinite() }, "the contexts are finite")
        val rms = Math.sqrt(a.sumOf { it.toDouble() * it } / a.size)
        assertTrue(rms in 0.5..2.0, "after the connectors' final RMS norm the contexts are of unit size: $rms")
        val worst = a.indices.maxOf { abs(a[it] - b[it]) }
        assertTrue(worst < 1e-3, "the two layouts differ by $worst")
    }
}
