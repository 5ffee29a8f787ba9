package dev.sdj.core.family.flux

import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class DiffusersFluxNamesTest {
    @Test
    fun `every diffusers tensor leads back to the BFL tensor and part it came from`() {
        val arch = FluxArchitecture.DEV_TINY
        val names = DiffusersFluxNames(arch.dit.hidden.toLong())
        for (entry in FluxTensorLayout(arch).components.getValue(ComponentKind.DIFFUSION_MODEL)) {
            names.parts(entry).forEachIndexed { i, part ->
                val origin = DiffusersFluxNames.origin(part.name)!!
                assertEquals(entry.name, origin.bfl, part.name)
                assertEquals(i, origin.part, part.name)
                assertEquals(part.halvesSwapped, origin.halvesSwapped, part.name)
            }
        }
    }

    @Test
    fun `names diffusers never gives have no origin`() {
        assertNull(DiffusersFluxNames.origin("transformer_blocks.0.attn.to_z.weight"))
        assertNull(DiffusersFluxNames.origin("pos_embed.weight"))
    }
}
