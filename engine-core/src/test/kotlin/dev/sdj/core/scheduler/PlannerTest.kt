package dev.sdj.core.scheduler

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class PlannerTest {
    private val mib = 1L shl 20

    /** SD1.5-like proportions: a small text encoder, a large UNet, a VAE with a large decoding buffer. */
    private val costs = Costs(
        mapOf(ComponentKind.TEXT_ENCODER to 235 * mib, ComponentKind.DIFFUSION_MODEL to 1640 * mib, ComponentKind.VAE to 160 * mib),
        listOf(
            PhaseCost("text encoding", setOf(ComponentKind.TEXT_ENCODER), mapOf("text encoder" to 2 * mib)),
            PhaseCost("denoising", setOf(ComponentKind.DIFFUSION_MODEL), mapOf("unet" to 550 * mib)),
            PhaseCost("decoding", setOf(ComponentKind.VAE), mapOf("vae decoder" to 300 * mib), "tile it"),
        ),
        denoiserPhase = 1,
    )

    @Test
    fun `resident holds every component and the largest compute buffer, sequential the encoder or the models after it`() {
        assertEquals((235 + 1640 + 160 + 550) * mib, costs.resident)
        assertEquals(maxOf(235 + 2, 1640 + 160 + 550) * mib, costs.sequential)
    }

    @Test
    fun `the hint names the phase that alone sets a peak and what lowers it`() {
        val bigDecode = costs.copy(phases = costs.phases.map { if (it.label == "decoding") it.copy(graphs = mapOf("vae decoder" to 3000 * mib)) else it })
        assertEquals("the decoding phase (4800.0 MiB with its compute buffer) sets this peak: tile it",
            Planner.peakHint(bigDecode, bigDecode.sequentialResidency()))
        assertNull(Planner.peakHint(costs, costs.sequentialResidency()), "denoising sets it, and has no lever")
    }

    @Test
    fun `components pinned to the cpu leave the device with the compute of the phases that only read them`() {
        val gpu = costs.without(setOf(ComponentKind.TEXT_ENCODER, ComponentKind.VAE))
        assertEquals((1640 + 550) * mib, gpu.resident)
        assertEquals(setOf("unet"), gpu.compute.keys)
    }

    @Test
    fun `auto prefers resident, then sequential with a hint, then nothing`() {
        assertEquals("resident", Planner.choose(costs, costs.resident, null)!!.placement)
        val sequential = Planner.choose(costs, costs.resident - 1, "auto")!!
        assertEquals("sequential", sequential.placement)
        assertTrue(sequential.why.contains("more everything would stay resident"), sequential.why)
        assertNull(Planner.choose(costs, costs.sequential - 1, "auto"))
    }

    @Test
    fun `a forced placement over budget names the smallest budget`() {
        val e = assertThrows(InvalidRequestException::class.java) { Planner.choose(costs, costs.sequential - 1, "sequential") }
        assertTrue(e.message!!.contains(Planner.mib(costs.sequential)), e.message)
    }

    @Test
    fun `forcing sequential where resident fits says what it costs`() {
        val choice = Planner.choose(costs, costs.resident, "sequential")!!
        assertEquals("sequential", choice.placement)
        assertTrue(choice.why.contains("would fit too"), choice.why)
    }

    /** Four blocks of 400/350/300/250 MiB (data 90 % of layout), a 40 MiB core, streaming as PipelineCosts lays it out. */
    private val streaming = StreamCosts(
        blockNames = listOf("a", "b", "c", "d"),
        residentSets = listOf(setOf(), setOf("a"), setOf("a", "b"), setOf("a", "b", "c")),
        fixedBytes = listOf(40 * mib, 440 * mib, 790 * mib, 1090 * mib),
        slotBytes = listOf(400 * mib, 350 * mib, 300 * mib, 250 * mib),
        streamedBytes = listOf(1170 * mib, 810 * mib, 495 * mib, 225 * mib),
        fixedUploadBytes = listOf(36 * mib, 396 * mib, 711 * mib, 981 * mib),
    )
    private val streamable = costs.copy(params = costs.params + (ComponentKind.DIFFUSION_MODEL to 1340 * mib),
        streams = listOf(Stream(ComponentKind.DIFFUSION_MODEL, 1, streaming)))

    @Test
    fun `streamed peaks are the largest phase, with two slots while two or more blocks stream`() {
        assertEquals(maxOf(237 * mib, (40 + 800 + 550) * mib, 460 * mib), streamable.streamed(listOf(0)))
        assertEquals((1090 + 250 + 550) * mib, streamable.streamed(listOf(3)), "one block streamed: one slot")
        assertEquals(streamable.streamed(listOf(0)), streamable.peak("streamed"))
        assertEquals(streamable.streamed(listOf(0)), streamable.smallest)
    }

    @Test
    fun `below sequential auto streams with the most resident blocks that fit`() {
        val choice = Planner.choose(streamable, streamable.streamed(listOf(1)), null)!!
        assertEquals("streamed", choice.placement)
        assertEquals(listOf(1), choice.residentBlocks)
        assertTrue(choice.why.contains("1 of 4 diffusion model blocks stay resident"), choice.why)
        assertEquals(listOf(3), Planner.choose(streamable, streamable.streamed(listOf(3)), "streamed")!!.residentBlocks, "fewer slots can need less")
        assertTrue(choice.why.contains("more one more diffusion model block would stay resident"), choice.why)
        assertEquals(listOf(0), Planner.choose(streamable, streamable.streamed(listOf(0)), "streamed")!!.residentBlocks)
        val needless = Planner.choose(streamable, streamable.sequential, "streamed")!!
        assertTrue(needless.why.contains("sequential") && needless.why.contains("would fit too"), needless.why)
        assertNull(Planner.choose(streamable, streamable.streamed(listOf(0)) - 1, null))
    }

    @Test
    fun `the resident part is kept only where it raises no phase above the plan's peak`() {
        // Text phase 237 MiB, decoding 460 MiB, denoising with 0 resident 1390 MiB: 460 + 40 fits under it.
        assertTrue(streamable.keepsResidentParts(listOf(0)))
        // With 3 resident blocks the fixed part is 1090 MiB: decoding beside it (1550) stays under that plan's 1890.
        assertTrue(streamable.keepsResidentParts(listOf(3)))
        val bigVae = streamable.copy(phases = streamable.phases.map {
            if (it.label == "decoding") it.copy(graphs = mapOf("vae decoder" to 1500 * mib)) else it
        })
        assertTrue(!bigVae.keepsResidentParts(listOf(0)), "a large decoding phase leaves no room to keep it")
        assertTrue(Planner.choose(streamable, streamable.streamed(listOf(0)), "streamed")!!.keepsResidentPart)
    }

    @Test
    fun `forced streaming over budget names streaming every block as the smallest budget`() {
        val e = assertThrows(InvalidRequestException::class.java) { Planner.choose(streamable, streamable.streamed(listOf(0)) - 1, "streamed") }
        assertTrue(e.message!!.contains(Planner.mib(streamable.streamed(listOf(0)))) && e.message!!.contains("every block streamed"), e.message)
        assertThrows(InvalidRequestException::class.java) { Planner.choose(costs, costs.resident, "streamed") }
    }

    /** A text encoder of 3 × 500 MiB blocks (20 MiB core) streamable in its own phase, beside the streamed diffusion model. */
    private val twoStreams = streamable.copy(
        params = streamable.params + (ComponentKind.TEXT_ENCODER to 1520 * mib),
        streams = listOf(
            Stream(ComponentKind.TEXT_ENCODER, 0, StreamCosts(listOf("x", "y", "z"), listOf(setOf(), setOf("x"), setOf("x", "y")),
                listOf(20 * mib, 520 * mib, 1020 * mib), listOf(500 * mib, 500 * mib, 500 * mib),
                listOf(1500 * mib, 1000 * mib, 500 * mib), listOf(20 * mib, 520 * mib, 1020 * mib))),
            Stream(ComponentKind.DIFFUSION_MODEL, 1, streaming),
        ),
    )

    @Test
    fun `each stream keeps as many blocks as its own phase fits`() {
        // Budget 1700 MiB: the text phase fits 2 resident blocks (1020 + one slot of 500 + 2 = 1522), the denoising phase 1
        // (440 + 2 slots × 350 + 550 = 1690; 2 would need 790 + 2 × 300 + 550 = 1940).
        val choice = Planner.choose(twoStreams, 1700 * mib, null)!!
        assertEquals("streamed", choice.placement)
        assertEquals(listOf(2, 1), choice.residentBlocks)
        assertEquals(1690 * mib, choice.peak)
        assertTrue(choice.why.contains("2 of 3 text encoder blocks stay resident") && choice.why.contains("1 of 4 diffusion model blocks"), choice.why)
        assertEquals(maxOf(20 + 1000 + 2, 1390, 460) * mib, twoStreams.peak("streamed"), "every block of both streamed")
        val cpuText = twoStreams.without(setOf(ComponentKind.TEXT_ENCODER))
        assertEquals(listOf(ComponentKind.DIFFUSION_MODEL), cpuText.streams.map { it.component }, "a component on the CPU runs whole")
    }
}
