package dev.sdj.core.family.flux

import dev.sdj.core.family.sd.SameComponents
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The generated Flux layouts open as one model: the same components, names, shapes, types and bytes. */
class FluxLayoutsTest {
    private val tiny = TinyFluxModel()

    private fun open(paths: List<Path>) = ModelAssembly.assemble(ModelOpener.open(paths))

    @Test
    fun `the all-in-one checkpoint and the separate files assemble to the same components`(@TempDir dir: Path) {
        val single = open(listOf(tiny.writeSingleFile(dir.resolve("flux1-tiny-all.safetensors"))))
        val split = open(tiny.writeSplitFiles(dir.resolve("split")))
        assertEquals(ModelFamily.FLUX, single.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.VAE),
            single.components.keys)
        SameComponents.assertSame(single, split, ModelFamily.FLUX, "separate files")
    }

    @Test
    fun `a quantized GGUF DiT keeps sd_cpp's excepted tensors and quantizes the block linears`(@TempDir dir: Path) {
        val q = TinyFluxModel.quantizedDit(DType.Q4_K)
        val model = open(q.writeSplitFiles(dir, ditFile = "flux1-tiny-Q4_K.gguf"))
        val dit = model.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors
        assertEquals(DType.Q4_K, dit.getValue("double_blocks.0.img_attn.qkv.weight").type)
        assertEquals(DType.Q4_K, dit.getValue("single_blocks.1.linear1.weight").type)
        assertEquals(DType.F16, dit.getValue("img_in.weight").type, "input layers stay as stored")
        assertEquals(DType.F16, dit.getValue("double_blocks.0.img_attn.norm.query_norm.scale").type)
        assertTrue(dit.keys.any { it.startsWith("guidance_in.") }, "dev's structure has the guidance embedding")
    }
}
