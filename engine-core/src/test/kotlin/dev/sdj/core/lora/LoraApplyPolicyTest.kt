package dev.sdj.core.lora

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The rule choosing, per weight, between merging a LoRA and adding it as low-rank graph ops. */
class LoraApplyPolicyTest {
    private val whole = LoraTarget(ComponentKind.DIFFUSION_MODEL, "middle_block.1.proj_in.weight")
    private val part = LoraTarget(ComponentKind.DIFFUSION_MODEL, "double_blocks.0.img_attn.qkv.weight", RowSpan(0, 0, 8, 8, 24))

    @Test
    fun `auto merges into unquantized weights and adds graph ops to quantized ones`() {
        assertFalse(LoraApplyPolicy.path(LoraApplyMode.AUTO, whole, true, null).lowRank)
        val quantized = LoraApplyPolicy.path(LoraApplyMode.AUTO, whole, true, "q4_0")
        assertTrue(quantized.lowRank)
        assertTrue(quantized.why.contains("q4_0"), quantized.why)
    }

    @Test
    fun `a forced mode decides either way where graph ops can apply`() {
        assertTrue(LoraApplyPolicy.path(LoraApplyMode.AT_RUNTIME, whole, true, null).lowRank)
        assertFalse(LoraApplyPolicy.path(LoraApplyMode.IMMEDIATELY, whole, true, "q8_0").lowRank)
    }

    @Test
    fun `part of a fused weight and a family without graph ops are merged whatever the mode`() {
        for (mode in LoraApplyMode.entries) {
            assertFalse(LoraApplyPolicy.path(mode, part, true, "q4_0").lowRank, "$mode on a row span")
            assertFalse(LoraApplyPolicy.path(mode, whole, false, "q4_0").lowRank, "$mode without graph ops")
        }
    }

    @Test
    fun `modes are read by stable-diffusion cpp's names and others refused by name`() {
        assertEquals(LoraApplyMode.AT_RUNTIME, LoraApplyMode.parse("at_runtime"))
        assertEquals(LoraApplyMode.IMMEDIATELY, LoraApplyMode.parse("immediately"))
        val e = assertThrows<InvalidRequestException> { LoraApplyMode.parse("runtime") }
        assertTrue(e.message!!.contains("'runtime'"), e.message)
    }
}
