package dev.sdj.core.scheduler

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.registry.DefaultModel
import dev.sdj.core.engine.SdjEngine
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path

/**
 * `tune` times every placement that fits, with guidance both batched and not, stores the fastest per shape, and auto
 * requests of that shape use it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TuneTest {
    private val dir: Path = Files.createTempDirectory("sdj-tune")
    private val model: Path = DefaultModel.path(dir)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request() = GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(64, 64).steps(2).seed(3)
        .device("CPU").threads(2).build()

    @Test
    fun `tuning tries each placement that fits, guidance batched and not, and auto requests of the same shape then use the fastest`() {
        val cache = TuneCache(dir.resolve("tune.json"))
        val denoisingTotals = HashSet<Int>()
        val report = SdjEngine(EngineConfig.of(model), cache).use { engine ->
            engine.tune(request(), 1) { phase, _, total -> if (phase.endsWith(": denoising")) denoisingTotals.add(total) }
        }
        assertEquals(setOf(2), denoisingTotals, "each placement runs one untimed warm-up step before the timed one")
        assertEquals(listOf("resident", "sequential", "streamed").flatMap { p -> listOf("$p off", "$p on") },
            report.trials().map { "${it.placement()} ${it.cfgBatch()}" })
        val modelPart = report.key().split(" | ")[1]
        assertEquals("$model (${Files.size(model)} bytes, modified ${Files.getLastModifiedTime(model)})", modelPart)
        assertTrue(report.trials().all { it.secondsPerStep() > 0 }, report.trials().toString())
        assertEquals(report.trials().minBy { it.secondsPerStep() }, report.fastest())
        val stored = cache.get(report.key())
        assertNotNull(stored)
        assertEquals(report.fastest().placement(), stored!!.placement)
        assertEquals(report.fastest().cfgBatch(), stored.cfgBatch)

        // A fresh engine on the same cache: auto follows the stored choice, and says so.
        SdjEngine(EngineConfig.of(model), cache).use { engine ->
            val plan = engine.plan(request())
            assertEquals(report.fastest().placement(), plan.placement())
            assertTrue(plan.reason().startsWith("tuned on "), plan.reason())
            val batched = if (report.fastest().cfgBatch() == "on") "guidance batched" else "guidance in two evaluations per step"
            assertTrue(plan.reason().contains("$batched, which tune measured faster"), plan.reason())
            assertTrue(!engine.plan(request().toBuilder().size(64, 72).build()).reason().startsWith("tuned"), "another size was not tuned")
            assertEquals("resident", engine.plan(request().toBuilder().placement("resident").build()).placement(), "a forced placement wins")
        }
    }

    @Test
    fun `a stored choice that no longer fits is ignored and a damaged cache is an empty one`() {
        val cache = TuneCache(dir.resolve("stale.json"))
        SdjEngine(EngineConfig.of(model), cache).use { engine ->
            val resident = engine.plan(request()).peakByPlacement().getValue("resident")
            // Guidance in two evaluations only: which placement fits is the question here, not batching.
            val capped = request().toBuilder().maxDeviceMemory(resident - 1).cfgBatch("off").build()
            val report = engine.tune(capped, 1, ProgressListener.NONE)
            assertTrue(report.trials().none { it.placement() == "resident" }, "resident does not fit the cap")
            cache.put(report.key(), TuneCache.Entry("resident", 0, mapOf("resident" to 0.01), "2026-01-01"))
            val plan = engine.plan(capped)
            assertEquals("sequential", plan.placement(), "the stored resident no longer fits: the planner decides")
            assertTrue(!plan.reason().startsWith("tuned"), plan.reason())

            Files.writeString(cache.file, "{ not json")
            assertNull(cache.get(report.key()))
            assertEquals("resident", engine.plan(request()).placement())
        }
    }
}
