package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.lora.LoraTarget
import dev.sdj.core.lora.TinyLoras
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.RequestedWeightType
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs

/**
 * LoRAs applied as low-rank graph ops (`--lora-apply-mode at_runtime`), on the CPU with the tiny SD 1.x model and a
 * LoRA over its transformer projections, two LoCon convolutions and the text encoder: against merging, without a
 * LoRA, and under every placement, with the plan predicting what the ledger holds; switching sets between generations.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LowRankLoraGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-low-rank-lora")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val tiny = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
    private val model: Path = tiny.writeSingleFile(dir.resolve("tiny.gguf"), vocab.tokens to vocab.merges)
    private val lora: Path = dir.resolve("a.safetensors")
    private val layersA = TinyLoras(tiny.arch).write(lora, TinyLoras.Format.KOHYA_DIFFUSERS, seed = 1)
    private val loraB: Path = dir.resolve("b.safetensors")
    private val layersB = TinyLoras(tiny.arch).write(loraB, TinyLoras.Format.PEFT, seed = 2)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(multiplier: Double = 1.0, mode: String = "at_runtime", placement: String = "resident") =
        GenerationRequest.builder("a lighthouse at dusk").negativePrompt("fog").size(64, 64).steps(1).seed(11).sampler("euler")
            .device("CPU").threads(2).placement(placement).lora(lora, multiplier).loraApplyMode(mode).build()

    /** [request] with the LoRAs of [weights] (by file) in place of its own. */
    private fun GenerationRequest.withLoras(vararg weights: Pair<Path, Double>): GenerationRequest =
        weights.fold(toBuilder().loras(emptyList())) { b, (path, w) -> b.lora(path, w) }.build()

    /** The bytes [layers]' down and up matrices take as adapters (f32), of the weights [lowRank] accepts. */
    private fun adapterBytes(layers: List<TinyLoras.Layer>, lowRank: (LoraTarget) -> Boolean = { true }): Long =
        layers.filter { lowRank(it.target) }.sumOf { 4L * (it.up.size + it.down.size) }

    private val config = EngineConfig.of(model).withWeightMapping(false)

    /** The image of a with weight 0.7 and b with 0.5 from an engine that never had another set. */
    private val fresh: ByteArray by lazy { SdjEngine(config).use { it.generate(request().withLoras(lora to 0.7, loraB to 0.5)).rgb() } }

    private fun GenerationResult.assertPlanned() =
        assertEquals(placement().peakBytes(), peakDeviceBytes().getValue("CPU"), "${placement().placement()}: predicted peak = ledger peak")

    /** Plans [request] on [engine], then generates it: the plan's upload and peak are the ledger's. */
    private fun generatePlanned(engine: SdjEngine, request: GenerationRequest): GenerationResult {
        val plan = engine.plan(request)
        val result = engine.generate(request)
        assertEquals(result.uploadedParameterBytes(), plan.uploadBytesPerGeneration(), "planned upload = the ledger's")
        assertEquals(result.peakDeviceBytes().getValue("CPU"), plan.peakBytes(), "planned peak = the ledger's")
        return result
    }

    @Test
    fun `at weight zero the graph ops leave the image byte for byte, and at weight one they give the merged image within rounding`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val plain = engine.generate(request().toBuilder().loras(emptyList()).build()).rgb()
            val zero = engine.generate(request(0.0))
            assertArrayEquals(plain, zero.rgb(), "weight 0 at runtime")
            val lowRank = engine.generate(request())
            assertFalse(plain.contentEquals(lowRank.rgb()), "weight 1 changes the image")
            assertTrue(lowRank.placement().loraPaths().getValue("a.safetensors").contains("low-rank"), lowRank.placement().loraPaths().toString())
            val merged = engine.generate(request(mode = "immediately")).rgb()
            // The merge rounds W + ΔW to the weights' f16 once, the graph ops add ΔW's product in f32: 2 levels here, bound 4.
            val largest = merged.indices.maxOf { abs((merged[it].toInt() and 0xff) - (lowRank.rgb()[it].toInt() and 0xff)) }
            println("low-rank vs merged: largest pixel difference $largest of 255")
            assertTrue(largest <= 4, "low-rank vs merged differ by $largest levels")
            assertFalse(plain.contentEquals(merged), "the merge changed the image too")
        }
    }

    @Test
    fun `the graph ops give the same image resident, sequential and streamed, and the plan counts their tensors`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val resident = engine.generate(request())
            resident.assertPlanned()
            val plan = engine.plan(request())
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL)) {
                assertEquals(plan.parameterBytes().getValue(kind.label), engine.residentBytes(kind), "${kind.label} allocated, adapters included")
            }
            val sequential = engine.generate(request(placement = "sequential"))
            sequential.assertPlanned()
            assertArrayEquals(resident.rgb(), sequential.rgb(), "sequential")
            val smallest = engine.plan(request(placement = "streamed")).peakByPlacement().getValue("streamed")
            val streamed = engine.generate(request(placement = "streamed").toBuilder().maxDeviceMemory(smallest).build())
            assertTrue(streamed.placement().streamedBlocks().isNotEmpty(), "blocks were streamed")
            streamed.assertPlanned()
            assertArrayEquals(resident.rgb(), streamed.rgb(), "streamed")
        }
    }

    @Test
    fun `switching the low-rank set uploads only the adapters it adds, a change of weight nothing, and draws what a fresh engine draws`() {
        SdjEngine(config).use { engine ->
            val first = engine.generate(request().withLoras(lora to 1.0))
            assertTrue(first.uploadedParameterBytes() > adapterBytes(layersA), "the first generation loads every weight")
            // The plan after a switch counts the adapters it adds, and its peak holds: those of dropped files go first.
            val added = generatePlanned(engine, request().withLoras(lora to 1.0, loraB to 0.5))
            assertEquals(adapterBytes(layersB), added.uploadedParameterBytes(), "adding b loads b's adapters alone")
            val reweighed = engine.generate(request().withLoras(lora to 0.7, loraB to 0.5))
            assertEquals(0L, reweighed.uploadedParameterBytes(), "a weight is a factor in the graph")
            assertArrayEquals(fresh, reweighed.rgb(), "the same image as a fresh engine's with that set")
            val removed = generatePlanned(engine, request().withLoras(loraB to 0.5))
            assertEquals(0L, removed.uploadedParameterBytes(), "dropping a frees its adapters and loads nothing")
            val plan = engine.plan(request().withLoras(loraB to 0.5))
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL)) {
                assertEquals(plan.parameterBytes().getValue(kind.label), engine.residentBytes(kind), "${kind.label}: a's adapters are gone")
            }
            // Sequential: whatever the plan frees and loads again is loaded alike with and without the added LoRA (new
            // prompts, so the text encoder runs both times), and adding one costs its adapters on top.
            engine.generate(request().toBuilder().prompt("a harbour at dawn").placement("sequential").build().withLoras(loraB to 0.5))
            val again = engine.generate(request().toBuilder().prompt("a harbour").placement("sequential").build().withLoras(loraB to 0.5))
            val switched = engine.generate(request().toBuilder().prompt("a harbour at noon").placement("sequential").build()
                .withLoras(loraB to 0.5, lora to 1.0))
            println("sequential: ${again.uploadedParameterBytes()} B with b, ${switched.uploadedParameterBytes()} B adding a")
            assertEquals(again.uploadedParameterBytes() + adapterBytes(layersA), switched.uploadedParameterBytes(), "sequential, adding a")
            switched.assertPlanned()
            // Dropping a again, the UNet kept through the text encoder's phase loses a's adapters before that phase
            // runs, not when its own does: the device holds what the plan counts all along.
            val conditioned = engine.condition(request().toBuilder().prompt("a quay").placement("sequential").build()
                .withLoras(loraB to 0.5), { _, _, _ -> }, CancellationToken())
            val unet = ComponentKind.DIFFUSION_MODEL
            assertEquals(conditioned.placement.parameterBytes().getValue(unet.label), engine.residentBytes(unet), "the kept UNet, a's adapters gone")
        }
    }

    @Test
    fun `streamed after a switch, the resident part's adapters are planned apart from its weights and the image is a fresh engine's`() {
        SdjEngine(config).use { engine ->
            // No cap: the most blocks that may be resident are, and the resident part stays between generations.
            fun streamed(vararg set: Pair<Path, Double>): GenerationResult = engine.generate(request(placement = "streamed").withLoras(*set))
            val first = streamed(loraB to 0.5)
            val before = engine.residentPartLoads
            streamed(loraB to 0.5)
            val repeated = engine.residentPartLoads - before
            val switched = streamed(lora to 0.7, loraB to 0.5)
            val afterSwitch = engine.residentPartLoads - before - repeated
            println("streamed: ${first.placement().residentBlocks()} then ${switched.placement().residentBlocks()} blocks resident; " +
                "resident-part loads: $repeated repeating the set, $afterSwitch switching it")
            assertTrue(switched.placement().streamedBlocks().isNotEmpty(), "blocks were streamed")
            // On the CPU the plan frees the resident part for the decoder, so each generation loads it (1 and 1 here).
            assertEquals(repeated, afterSwitch, "a switch loads the resident part's weights no more often than a repeat")
            switched.assertPlanned()
            assertArrayEquals(fresh, switched.rgb(), "streamed after a switch = resident on a fresh engine")
        }
    }

    @Test
    fun `switching a mixed set loads again the merged tensors and adds the new low-rank adapters`() {
        val q8 = RequestedWeightType.parse("q8_0")
        val assembled = ModelAssembly.assemble(ModelOpener.open(listOf(model)))
        val ggml = Ggml.get()
        val specs = layersA.map { it.target }.groupBy { it.component }.flatMap { (kind, targets) ->
            ParamSpecs.of(assembled.components.getValue(kind), DeviceTypeSupport.of(ggml, ggml.cpu()), targets.map { it.tensor }, q8).specs
                .map { LoraTarget(kind, it.name) to it }
        }.toMap()
        val lowRank = { t: LoraTarget -> specs.getValue(t).type == GgmlType.Q8_0 }
        val merged = specs.filterKeys { !lowRank(it) }.values.sumOf { s -> ggml.rowSize(s.type, s.shape[0]) * s.shape.drop(1).fold(1L) { a, b -> a * b } }
        assertTrue(merged > 0 && specs.keys.any(lowRank), "the tiny model quantizes some adapted weights and not others")
        SdjEngine(EngineConfig.of(model).withWeightType("q8_0").withWeightMapping(false)).use { engine ->
            engine.generate(request(mode = "auto").withLoras(lora to 1.0))
            val added = engine.generate(request(mode = "auto").withLoras(lora to 1.0, loraB to 0.5))
            assertEquals(merged + adapterBytes(layersB, lowRank), added.uploadedParameterBytes(), "merged tensors again, b's adapters")
        }
    }

    @Test
    fun `auto adds a LoRA to quantized weights as graph ops and merges it into f16 ones`() {
        SdjEngine(EngineConfig.of(model).withWeightType("q8_0")).use { engine ->
            val paths = engine.plan(request(mode = "auto")).loraPaths().getValue("a.safetensors")
            assertTrue(paths.contains("low-rank: q8_0 weights"), paths)
        }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val paths = engine.plan(request(mode = "auto")).loraPaths().getValue("a.safetensors")
            assertFalse(paths.contains("low-rank"), paths)
        }
    }
}
