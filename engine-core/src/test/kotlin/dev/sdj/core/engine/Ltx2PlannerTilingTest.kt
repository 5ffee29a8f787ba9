package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.ltx2.TinyLtx2Dit
import dev.sdj.core.family.ltx2.TinyLtx2Text
import dev.sdj.core.family.ltx2.TinyLtx2Vae
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * LTX-2's planner tiling on the tiny random model set: a clip 1024 pixels wide, whose whole decode (the tiny VAE's
 * last levels at full resolution) outweighs every other phase on the CPU, so that between the tiled decode's smallest
 * budget and the whole decode's the planner tiles by itself, and below both it refuses naming the tiled need.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2PlannerTilingTest {
    private val dir: Path = Files.createTempDirectory("sdj-ltx2-tiling")
    private val files: List<Path> = TinyLtx2Text().writeFiles(dir).all +
        listOf(TinyLtx2Dit().write(dir.resolve("ltx-2.3-tiny-dit.safetensors")), TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors")))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    /** Weights copied rather than mapped, so that the CPU's caps choose placements as a device's would. */
    private fun engine() = SdjEngine(EngineConfig(files, Optional.empty()).withWeightMapping(false))

    /** 1024×64, 9 frames: 32×2 latent cells, which 256-pixel tiles (8 cells overlapping by 2) split in five across. */
    private val request = GenerationRequest.builder("a red fox runs through snow at dawn").size(1024, 64).frames(9).fps(24).steps(1)
        .cfgScale(1.0).sampler("euler").device("CPU").threads(2).build()

    private val whole by lazy { engine().use { it.plan(request) } }
    private val tiled by lazy { engine().use { it.plan(request.toBuilder().vaeTileSize(TILE).build()) } }

    @Test
    fun `when the whole decode fits no placement the planner decodes in tiles, says so, and predicts the ledger's peak`() {
        val wholeSmallest = whole.peakByPlacement().values.min()
        val tiledSmallest = tiled.peakByPlacement().values.min()
        assertEquals(0, whole.vaeTileSize(), "no cap: the whole decode fits")
        assertTrue(tiledSmallest < wholeSmallest, "tiles lower the smallest budget: $tiledSmallest vs $wholeSmallest")
        val cap = wholeSmallest - 1
        val r = engine().use { it.generate(request.toBuilder().maxDeviceMemory(cap).build()) }
        val plan = r.placement()
        assertEquals(TILE, plan.vaeTileSize(), plan.reason())
        assertTrue(plan.reason().contains("the planner decodes in tiles of $TILE pixels"), plan.reason())
        assertEquals(plan.peakBytes(), r.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
        assertTrue(plan.peakBytes() <= cap, "within the cap")
        assertTrue(r.parameters().contains("VAE tile: $TILE"), r.parameters())
        assertTrue(r.placement().computeBytes().keys.any { it.startsWith("ltx2 video decoder") })
        val asked = engine().use { it.generate(request.toBuilder().vaeTileSize(TILE).maxDeviceMemory(cap).build()) }
        assertEquals(plan.placement(), asked.placement().placement())
        asked.video().orElseThrow().frames().zip(r.video().orElseThrow().frames()).forEachIndexed { i, (a, b) ->
            assertArrayEquals(a, b, "frame $i: the planner's tiles are the requested tiles")
        }
    }

    /** Whole, sequential fits under this cap; tiled, everything would stay resident: named, not applied (pixels differ). */
    @Test
    fun `when the whole decode fits but tiles would be faster the plan names them without tiling`() {
        val plan = engine().use { it.plan(request.toBuilder().maxDeviceMemory(whole.peakByPlacement().getValue("resident") - 1).build()) }
        assertEquals(0, plan.vaeTileSize())
        assertEquals("sequential", plan.placement())
        assertTrue(plan.reason().contains("decoding in tiles (--vae-tile $TILE) would let resident fit"), plan.reason())
    }

    /**
     * Streamed at its smallest budget the whole decode sets the peak, so the DiT's resident block (kept through the
     * denoising) must go before decoding: each phase alone, of the rest only what fits under the peak stays
     * ([dev.sdj.core.scheduler.Residency]). Kept, it would lift the ledger's peak over the prediction.
     */
    @Test
    fun `a streamed placement frees the DiT's resident blocks before the decode that sets its peak`() {
        val cap = whole.peakByPlacement().getValue("streamed")
        val r = engine().use { it.generate(request.toBuilder().placement("streamed").maxDeviceMemory(cap).build()) }
        val plan = r.placement()
        assertEquals(0, plan.vaeTileSize(), "the whole decode fits: no tiles")
        assertTrue(plan.residentBlocks() > 0, "some DiT block stays resident while denoising")
        assertTrue(plan.phases().getValue("denoising").getValue("diffusion model").startsWith("streamed"))
        assertFalse(plan.phases().getValue("decoding").containsKey("diffusion model"), plan.phases().toString())
        assertEquals(plan.peakByPhase().getValue("decoding"), plan.peakBytes(), "the decode sets the peak")
        assertEquals(plan.peakBytes(), r.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
    }

    @Test
    fun `a forced placement is tiled too, and below the tiled decode's budget the refusal names the tiled need`() {
        engine().use { engine ->
            fun plan(placement: String, cap: Long) = engine.plan(request.toBuilder().placement(placement).maxDeviceMemory(cap).build())
            val sequential = plan("sequential", whole.peakByPlacement().getValue("sequential") - 1)
            assertEquals(TILE, sequential.vaeTileSize(), sequential.reason())
            assertEquals(tiled.peakByPlacement().getValue("sequential"), sequential.peakBytes())
            val forced = assertThrows<InvalidRequestException> { plan("sequential", tiled.peakByPlacement().getValue("sequential") - 1) }
            assertTrue(forced.message!!.contains("decoding in tiles of $TILE pixels"), forced.message)
            val e = assertThrows<InvalidRequestException> { plan("auto", tiled.peakByPlacement().values.min() - 1) }
            assertTrue(e.message!!.contains("decoding in tiles of $TILE pixels"), e.message)
        }
    }

    private companion object {
        const val TILE = 256
    }
}
