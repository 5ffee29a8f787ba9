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
        mapOf("text encoder" to 2 * mib, "unet" to 550 * mib, "vae decoder" to 300 * mib),
    )

    @Test
    fun `peaks follow the placement formulas`() {
        assertEquals((235 + 1640 + 160 + 550) * mib, costs.resident)
        assertEquals(maxOf(235 + 2, 1640 + 160 + 550) * mib, costs.sequential)
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
}
