package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.lora.LycorisLayer
import dev.sdj.core.lora.TinyLoras
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path

/** LoRAs merged into the weights as they load, on the CPU: what they change and what they leave alone, under every placement. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoraGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-lora-generation")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val tiny = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
    private val model: Path = tiny.writeSingleFile(dir.resolve("tiny.gguf"), vocab.tokens to vocab.merges)
    private val loraA: Path = dir.resolve("a.safetensors")
    private val loraB: Path = dir.resolve("b.safetensors")
    private val layers = TinyLoras(tiny.arch).write(loraA, TinyLoras.Format.KOHYA_DIFFUSERS, seed = 1)
        .also { TinyLoras(tiny.arch).write(loraB, TinyLoras.Format.PEFT, seed = 2) }

    /** The image without LoRAs, from an engine that never saw one. */
    private val plain: ByteArray by lazy { SdjEngine(EngineConfig.of(model)).use { it.generate(request()).rgb() } }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(prompt: String = "a lighthouse at dusk", placement: String = "resident") =
        GenerationRequest.builder(prompt).negativePrompt("fog").size(64, 64).steps(1).seed(11).sampler("euler")
            .device("CPU").threads(2).placement(placement).build()

    private fun GenerationRequest.with(lora: Path, multiplier: Double) = toBuilder().lora(lora, multiplier).build()

    @Test
    fun `a LoRA of weight zero leaves the image as it is and one of weight one changes it`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val zero = engine.generate(request().with(loraA, 0.0))
            assertArrayEquals(plain, zero.rgb(), "weight 0")
            val one = engine.generate(request().with(loraA, 1.0))
            assertFalse(plain.contentEquals(one.rgb()), "weight 1 changes the image")
            assertTrue(one.parameters().contains("Lora hashes: \"a: "), one.parameters())
            // Changed weights cannot stay in the read-only mapping of the model file: the plan lays them out as the engine copied them.
            val plan = engine.plan(request().with(loraA, 1.0))
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL)) {
                assertEquals(plan.parameterBytes().getValue(kind.label), engine.residentBytes(kind), "${kind.label} allocated")
                assertEquals(plan.mappedBytes().getValue(kind.label), engine.mappedBytes(kind), "${kind.label} mapped")
            }
        }
    }

    @Test
    fun `LoHa and LoKr files merge, at weight zero byte for byte without effect, and under at_runtime too`() {
        val loha = dir.resolve("loha.safetensors").also { TinyLoras(tiny.arch).writeLycoris(it, LycorisLayer.Kind.LOHA) }
        val lokr = dir.resolve("lokr.safetensors").also { TinyLoras(tiny.arch).writeLycoris(it, LycorisLayer.Kind.LOKR) }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            assertArrayEquals(plain, engine.generate(request().with(loha, 0.0)).rgb(), "a LoHa at weight 0")
            assertFalse(plain.contentEquals(engine.generate(request().with(loha, 1.0)).rgb()), "a LoHa changes the image")
            // The graph ops add low-rank products only: a LoKr is merged whatever the mode asks, and the plan says so.
            val lokrImage = engine.generate(request().with(lokr, 1.0).toBuilder().loraApplyMode("at_runtime").build())
            assertFalse(plain.contentEquals(lokrImage.rgb()), "a LoKr changes the image")
            val why = lokrImage.placement().loraPaths().getValue("lokr.safetensors")
            assertEquals("${layers.size} weights merged: LoKr (not a low-rank product)", why, "every layer fits its weight, merged")
        }
    }

    @Test
    fun `the image with LoRAs is the same resident and streamed, named in the prompt or in the request, and goes with them`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val tagged = request("a lighthouse at dusk <lora:a:0.8><lora:b:0.5>").toBuilder().loraModelDir(dir).build()
            val resident = engine.generate(tagged).rgb()
            val streamed = request("a lighthouse at dusk ", "streamed").with(loraA, 0.8).with(loraB, 0.5)
            val smallest = engine.plan(streamed).peakByPlacement().getValue("streamed")
            val result = engine.generate(streamed.toBuilder().maxDeviceMemory(smallest).build())
            assertTrue(result.placement().streamedBlocks().isNotEmpty(), "blocks were streamed")
            assertArrayEquals(resident, result.rgb())
            // The streamed blocks' patched copies sit in the CPU's memory beside the slots: planned as the ledger holds them.
            assertEquals(result.placement().peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
            // Without LoRAs the kept resident part and the host's copies give the file's weights again.
            val plainStreamed = engine.generate(request(placement = "streamed").toBuilder().maxDeviceMemory(smallest).build())
            assertArrayEquals(plain, plainStreamed.rgb(), "streamed without LoRAs")
        }
    }

    @Test
    fun `switching LoRAs loads again only the tensors either changes and the model file's weights come back`() {
        val names = layers.groupBy({ it.target.component }, { it.target.tensor })
        val assembled = ModelAssembly.assemble(ModelOpener.open(listOf(model)))
        val ggml = Ggml.get()
        val support = DeviceTypeSupport.of(ggml, ggml.cpu())
        val patchedBytes = names.entries.sumOf { (kind, tensors) ->
            ParamSpecs.of(assembled.components.getValue(kind), support, tensors).specs.sumOf { s ->
                ggml.rowSize(s.type, s.shape[0]) * s.shape.drop(1).fold(1L) { a, b -> a * b }
            }
        }
        SdjEngine(EngineConfig.of(model).withWeightMapping(false)).use { engine ->
            // The plan after a switch counts the tensors it loads again, and its peak is the ledger's.
            fun generatePlanned(request: GenerationRequest): GenerationResult {
                val plan = engine.plan(request)
                val result = engine.generate(request)
                assertEquals(result.uploadedParameterBytes(), plan.uploadBytesPerGeneration(), "planned upload = the ledger's")
                assertEquals(result.peakDeviceBytes().getValue("CPU"), plan.peakBytes(), "planned peak = the ledger's")
                return result
            }
            val first = engine.generate(request().with(loraA, 1.0))
            assertTrue(first.uploadedParameterBytes() > patchedBytes, "the first generation loads every weight")
            assertEquals(patchedBytes, generatePlanned(request().with(loraB, 1.0)).uploadedParameterBytes(), "another LoRA over the same layers")
            val none = generatePlanned(request())
            assertEquals(patchedBytes, none.uploadedParameterBytes(), "no LoRA: the changed tensors from the file again")
            assertArrayEquals(plain, none.rgb(), "the master copy was never changed")
        }
    }
}
