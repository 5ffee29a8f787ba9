package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path

/** On the CPU, weights read in place from the mapped model file generate the same images as copied ones. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MappedWeightsTest {
    private val dir: Path = Files.createTempDirectory("sdj-mapped-weights")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val tiny = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
    private val gguf: Path = tiny.writeSingleFile(dir.resolve("tiny.gguf"), vocab.tokens to vocab.merges)
    private val safetensors: Path = tiny.writeSingleFile(dir.resolve("tiny.safetensors"))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun config(format: String): EngineConfig = if (format == "gguf") EngineConfig.of(gguf)
        else EngineConfig(listOf(safetensors), java.util.Optional.of(tokenizer()))

    private fun tokenizer(): Path = dir.resolve("tokenizer").also {
        if (!Files.isDirectory(it)) dev.sdj.core.family.clip.HuggingFaceClipFiles.write(it, vocab.tokens, vocab.merges)
    }

    private fun request(placement: String = "resident") = GenerationRequest.builder("a lighthouse at dusk").negativePrompt("fog")
        .size(64, 64).steps(2).seed(11).sampler("euler").device("CPU").threads(2).placement(placement).build()

    /** Lines of this process's memory map that map [file]. */
    private fun mappingsOf(file: Path): Int =
        Files.readAllLines(Path.of("/proc/self/maps")).count { it.endsWith(file.toAbsolutePath().toString()) }

    @ParameterizedTest
    @ValueSource(strings = ["gguf", "safetensors"])
    fun `images are the same bit for bit with weights mapped and copied`(format: String) {
        val copied = SdjEngine(config(format).withWeightMapping(false)).use { it.generate(request()) }
        SdjEngine(config(format)).use { engine ->
            val mapped = engine.generate(request())
            assertArrayEquals(copied.png, mapped.png, "$format: mapped and copied weights give the same PNG")
            val mappedBytes = ComponentKind.entries.sumOf { engine.mappedBytes(it) ?: 0L }
            assertTrue(mappedBytes > 0, "$format: weights were mapped")
            assertTrue(mapped.uploadedParameterBytes() < copied.uploadedParameterBytes(),
                "$format: mapping copies less (${mapped.uploadedParameterBytes()} vs ${copied.uploadedParameterBytes()})")
            if (format == "gguf") {
                // GGUF aligns every tensor and the tiny model is stored as the CPU takes it: nothing but norms widened to f32 is copied.
                assertTrue(mapped.uploadedParameterBytes() * 10 < copied.uploadedParameterBytes(), "gguf: ${mapped.uploadedParameterBytes()} copied")
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["gguf", "safetensors"])
    fun `plan and ledger agree on mapped and allocated bytes`(format: String) {
        val copiedPlan = SdjEngine(config(format).withWeightMapping(false)).use { it.plan(request()) }
        assertTrue(copiedPlan.mappedBytes().isEmpty(), "copying maps nothing")
        SdjEngine(config(format)).use { engine ->
            val plan = engine.plan(request())
            val result = engine.generate(request())
            assertEquals(plan.peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted = the ledger's allocated peak")
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)) {
                val label = kind.label
                assertEquals(plan.parameterBytes().getValue(label), engine.residentBytes(kind), "$label allocated")
                val mapped = plan.mappedBytes().getOrDefault(label, 0L)
                assertEquals(mapped, engine.mappedBytes(kind), "$label mapped")
                // Mapped tensors leave the allocation, with the alignment padding they had there.
                val moved = copiedPlan.parameterBytes().getValue(label) - plan.parameterBytes().getValue(label)
                assertTrue(moved >= mapped, "$label: $moved bytes left the allocation, $mapped mapped")
            }
            assertEquals(plan.mappedBytes().values.sum(), engine.poolBytes(MemoryLedger.MAPPED_POOL), "the ledger's mapped pool")
            assertEquals(plan.mappedBytes().values.sum(), result.peakDeviceBytes().getValue(MemoryLedger.MAPPED_POOL), "its peak")
            assertTrue(plan.peakBytes() < copiedPlan.peakBytes(), "mapping lowers the allocated peak")
            assertEquals(plan.uploadBytesPerGeneration(), result.uploadedParameterBytes(), "the forecast loads copy only what is not mapped")
            assertTrue(plan.uploadBytesPerGeneration() < copiedPlan.uploadBytesPerGeneration())
        }
    }

    @Test
    fun `the mapping lives exactly as long as the weights on it`() {
        val engine = SdjEngine(config("gguf"))
        try {
            assertEquals(0, mappingsOf(gguf), "nothing mapped before loading")
            val first = engine.generate(request())
            assertTrue(mappingsOf(gguf) > 0, "resident weights keep the file mapped")
            val again = engine.generate(request())
            assertArrayEquals(first.png, again.png, "a second generation reads the same mapping")
            // Sequential frees the text encoder after its phase and maps it again for the next generation.
            val sequential = engine.generate(request("sequential"))
            assertArrayEquals(first.png, engine.generate(request("sequential")).png)
            assertArrayEquals(first.png, sequential.png)
        } finally {
            engine.close()
        }
        assertEquals(0, mappingsOf(gguf), "closing the engine unmaps the file")
        assertEquals(0, engine.poolBytes(MemoryLedger.MAPPED_POOL))
    }
}
