package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.ltx2.Ltx2Conditioning
import dev.sdj.core.family.ltx2.TinyLtx2Text
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * LTX-2.3's conditioning end to end on a tiny random Gemma-3 GGUF (its vocabulary in the GGUF's metadata) and tiny
 * connectors, as the engine places it: two phases (Gemma, the connectors), Gemma's layers streamable, and the same
 * context tensors under every placement — with nothing LTX-specific in the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2ConditioningTest {
    private val dir: Path = Files.createTempDirectory("sdj-ltx2")
    private val files = TinyLtx2Text().writeFiles(dir)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun engine() = SdjEngine(EngineConfig(files.all, Optional.empty()))

    /**
     * Weights copied rather than mapped from the files on the CPU: mapped weights cost the CPU's budget nothing, so only
     * copied ones make the caps below choose between resident, sequential and streamed there as on a device.
     */
    private fun copyingEngine() = SdjEngine(EngineConfig(files.all, Optional.empty()).withWeightMapping(false))

    /**
     * One prompt, no guidance: lavapipe takes long over Gemma's 1024 tokens, and one prompt shows the placements; the
     * first test encodes a negative prompt too.
     */
    private fun request(device: String, placement: String = "auto") =
        GenerationRequest.builder("a red fox runs through snow at dawn").cfgScale(1.0).device(device).threads(2).placement(placement).build()

    /** With guidance: the prompt and the negative prompt, of different lengths, so two connector graphs. */
    private fun guided(device: String) = request(device).toBuilder().negativePrompt("blurry").cfgScale(4.0).build()

    private fun SdjEngine.conditioning(request: GenerationRequest): Pair<SdjEngine.Conditioned, Ltx2Conditioning> {
        val run = condition(request, { _, _, _ -> }, CancellationToken())
        return run to run.results.last() as Ltx2Conditioning
    }

    @Test
    fun `both prompts become contexts as wide as both connectors and as long as the registers fill`() {
        engine().use { engine ->
            val (_, c) = engine.conditioning(guided("CPU"))
            assertEquals(2, c.contexts.size, "prompt and negative prompt")
            assertEquals(64L + 32L, c.width, "video then audio channels")
            assertEquals(1024, c.length, "registers fill the sequence to 1024 tokens")
            c.contexts.forEach { assertEquals(c.width * c.length, it.size.toLong()) }
            assertFalse(c.contexts[0].contentEquals(c.contexts[1]), "the prompts differ")
            assertTrue(c.contexts.all { ctx -> ctx.all { it.isFinite() } })
        }
    }

    @Test
    fun `generating is refused without the DiT and the VAE, planning works`() {
        engine().use { engine ->
            val e = assertThrows(UnsupportedModelException::class.java) { engine.generate(request("CPU")) }
            assertTrue(e.message!!.contains("no DiT and video VAE"), e.message)
            assertTrue(engine.plan(request("CPU")).computeBytes().keys.containsAll(listOf("gemma3", "ltx2 text connectors")))
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `resident, sequential and streamed at several caps predict the ledger's peak and give the same contexts`(device: String) {
        val resident = copyingEngine().use { engine ->
            val (run, c) = engine.conditioning(request(device, "resident"))
            assertEquals(run.placement.peakBytes(), run.peakBytes.getValue(device), "resident peak")
            c
        }
        copyingEngine().use { engine ->
            val (run, c) = engine.conditioning(request(device, "sequential"))
            assertEquals(run.placement.peakBytes(), run.peakBytes.getValue(device), "sequential peak")
            val params = run.placement.parameterBytes()
            val compute = run.placement.computeBytes()
            val gemma = params.getValue("text encoder") + compute.getValue("gemma3")
            val connectors = params.getValue("text connectors") + compute.getValue("ltx2 text connectors")
            val peak = run.placement.peakBytes()
            // max(Gemma, connectors), not their sum; the smaller weights may stay beside the other phase where they fit
            assertTrue(peak >= maxOf(gemma, connectors) && peak <= maxOf(gemma, connectors) + minOf(params.getValue("text encoder"),
                params.getValue("text connectors")), "peak $peak for Gemma's phase $gemma and the connectors' $connectors")
            assertSame(resident, c, "sequential")
        }
        copyingEngine().use { engine ->
            val plan = engine.plan(request(device))
            assertEquals(6, plan.blocks(), "Gemma's six layers are the streaming unit")
            val smallest = plan.peakByPlacement().getValue("streamed")
            val sequential = plan.peakByPlacement().getValue("sequential")
            assertTrue(smallest < sequential, "streaming every layer needs less than sequential ($smallest vs $sequential)")
            val seen = HashSet<Int>()
            // Each cap runs Gemma over its 1024 tokens again, ~30 s on lavapipe: there the two extreme caps (no layer resident,
            // the most just under sequential) witness the device's ledger; the CPU takes the middle cap too.
            val middle = if (device == "CPU") listOf((smallest + sequential) / 2) else emptyList()
            for (cap in listOf(smallest) + middle + listOf(sequential - 1)) {
                // a fresh engine each time: one engine would reuse the first cap's result for the same prompt
                val (run, c) = copyingEngine().use { it.conditioning(request(device).toBuilder().maxDeviceMemory(cap).build()) }
                assertEquals("streamed", run.placement.placement(), "cap $cap")
                seen.add(run.placement.residentBlocks())
                assertEquals(run.placement.peakBytes(), run.peakBytes.getValue(device), "predicted = ledger peak at cap $cap")
                assertTrue(run.peakBytes.getValue(device) <= cap, "within the cap $cap")
                assertSame(resident, c, "${run.placement.residentBlocks()} layers resident")
            }
            assertTrue(seen.size >= 2, "the caps exercise several resident counts: $seen")
        }
    }

    @Test
    fun `a repeated prompt reuses the conditioning without loading Gemma`() {
        engine().use { engine ->
            val request = guided("CPU").toBuilder().placement("sequential").build()
            val first = engine.condition(request, { _, _, _ -> }, CancellationToken())
            assertTrue(first.uploadedBytes > 0)
            engine.condition(request.toBuilder().placement("streamed").build(), { _, _, _ -> }, CancellationToken())
            val again = engine.condition(request.toBuilder().placement("streamed").build(), { _, _, _ -> }, CancellationToken())
            assertEquals(0L, again.uploadedBytes, "nothing loads or streams for a prompt already encoded")
            assertEquals(mapOf("text encoder" to "not needed (result reused)"), again.placement.phases().getValue("text encoding (Gemma-3)"))
            assertEquals(0L, again.placement.uploadBytesPerGeneration(), "and the plan says so")
        }
    }

    @Test
    fun `Gemma on the CPU leaves the device to the connectors`() {
        engine().use { engine ->
            val request = request("Vulkan0").toBuilder().cpuComponents(setOf("text_encoder")).build()
            val (run, c) = engine.conditioning(request)
            assertEquals("cpu", run.placement.phases().getValue("text encoding (Gemma-3)").getValue("text encoder"))
            assertFalse("text encoder" in run.placement.parameterBytes(), "Gemma costs the device nothing")
            assertEquals(run.placement.peakBytes(), run.peakBytes.getValue("Vulkan0"), "predicted = ledger peak with Gemma on the CPU")
            assertEquals(1, c.contexts.size)
        }
    }

    private fun assertSame(expected: Ltx2Conditioning, actual: Ltx2Conditioning, what: String) {
        assertEquals(expected.contexts.size, actual.contexts.size, what)
        expected.contexts.zip(actual.contexts).forEach { (e, a) -> assertArrayEquals(e, a, what) }
    }
}
