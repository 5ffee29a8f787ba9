package dev.sdj.core.scheduler

import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ResidencyTest {
    private val te = ComponentKind.TEXT_ENCODER
    private val te2 = ComponentKind.TEXT_ENCODER_2
    private val unet = ComponentKind.DIFFUSION_MODEL
    private val vae = ComponentKind.VAE

    /** SDXL-like: two text encoders, a large UNet, a VAE whose decode buffer is large. */
    private val sdxl = Residency(
        needs = listOf(setOf(te), setOf(te2), setOf(unet), setOf(vae)),
        sizes = mapOf(te to 240L, te2 to 1400L, unet to 4900L, vae to 160L),
        compute = listOf(10L, 30L, 900L, 3000L),
    )

    @Test
    fun `the peak is the largest phase's own memory`() {
        assertEquals(4900L + 900, sdxl.peak)
    }

    @Test
    fun `what is used again soonest is kept while it fits, the rest is freed`() {
        // Decoding (3160) leaves 2640 of the 5800 peak: the UNet (used next generation, after both encoders) does not
        // fit, the first text encoder (used next) does, then the second.
        assertEquals(setOf(te, te2), sdxl.kept(3, setOf(te, te2, unet)))
        assertEquals(emptySet<ComponentKind>(), sdxl.kept(2, setOf(te, te2)), "nothing fits beside the UNet")
    }

    @Test
    fun `a walk from an empty device loads each phase's needs and predicts what the next generation reloads`() {
        val cold = sdxl.walk(emptySet())
        assertEquals(listOf(setOf(te), setOf(te2), setOf(unet), setOf(vae)), cold.map { it!!.loads })
        assertEquals(setOf(te, te2), cold[1]!!.present, "the first encoder fits beside the second")
        val warm = sdxl.walk(sdxl.after(emptySet()))
        assertEquals(cold.map { it!!.loads }, warm.map { it!!.loads }, "nothing fits beside the UNet: every generation reloads all")
        for ((i, step) in (cold + warm).withIndex()) {
            val phase = i % 4
            val extra = (step!!.present - sdxl.needs[phase]).sumOf { sdxl.sizes.getValue(it) }
            assertTrue(sdxl.own(phase) + extra <= sdxl.peak, "phase $phase stays within the peak")
        }
    }

    @Test
    fun `reused phases load nothing and leave the device as it was`() {
        val after = sdxl.after(emptySet())
        val again = sdxl.walk(after, skipped = setOf(0, 1))
        assertNull(again[0])
        assertNull(again[1])
        assertEquals(setOf(unet), again[2]!!.loads)
    }

    @Test
    fun `a component stays throughout only when every phase has room for it`() {
        assertFalse(sdxl.staysThroughout(vae), "the UNet's phase sets the peak: nothing fits beside it")
        val bigDecode = Residency(sdxl.needs, sdxl.sizes, listOf(10L, 30L, 900L, 6000L))
        assertTrue(bigDecode.staysThroughout(vae), "the decode sets the peak: the VAE fits beside the UNet")
        assertFalse(bigDecode.staysThroughout(unet), "the second encoder's phase has no room for the UNet")
    }
}
