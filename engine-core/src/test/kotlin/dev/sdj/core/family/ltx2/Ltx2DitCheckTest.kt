package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** [Ltx2DitCheck] on [TinyLtx2Dit]'s files, with and without [TinyLtx2Text]'s connectors. */
class Ltx2DitCheckTest {
    @TempDir
    lateinit var dir: Path

    private fun components(vararg files: Path): Map<ComponentKind, Component> =
        ModelAssembly.assemble(ModelOpener.open(files.toList(), null)).components

    private fun dit(dimensions: Ltx2DitDimensions = Ltx2DitDimensions.TINY, name: String = TinyLtx2Dit.FILE): Path =
        TinyLtx2Dit(dimensions).write(dir.resolve(name))

    @Test
    fun `a whole DiT with its connectors gives its dimensions`() {
        val c = components(dit(), TinyLtx2Text().writeConnectors(dir.resolve(TinyLtx2Text.CONNECTORS_FILE)))
        assertEquals(Ltx2DitDimensions.TINY, Ltx2DitCheck.check(c.getValue(ComponentKind.DIFFUSION_MODEL), c[ComponentKind.TEXT_CONNECTORS]))
    }

    @Test
    fun `a GGUF DiT in bare names gives the same`() {
        val c = components(dit(name = "ltx-2.3-random-dit.gguf"))
        assertEquals(Ltx2DitDimensions.TINY, Ltx2DitCheck.check(c.getValue(ComponentKind.DIFFUSION_MODEL), null))
    }

    @Test
    fun `a missing tensor is named`() {
        val full = components(dit()).getValue(ComponentKind.DIFFUSION_MODEL)
        val name = "transformer_blocks.1.video_to_audio_attn.k_norm.weight"
        val e = assertThrows<ModelFileException> { Ltx2DitCheck.check(full.copy(tensors = full.tensors - name), null) }
        assertTrue(e.message!!.contains(name), e.message)
    }

    @Test
    fun `a tensor of the wrong shape is named`() {
        val full = components(dit()).getValue(ComponentKind.DIFFUSION_MODEL)
        val name = "transformer_blocks.1.audio_ff.net.0.proj.weight"
        val swapped = full.tensors + (name to full.tensors.getValue("transformer_blocks.1.audio_ff.net.2.weight"))
        val e = assertThrows<ModelFileException> { Ltx2DitCheck.check(full.copy(tensors = swapped), null) }
        assertTrue(e.message!!.contains("[128, 32]") && e.message!!.contains("[32, 128]"), e.message)
    }

    @Test
    fun `connectors for other context widths are refused`() {
        val narrow = Ltx2DitDimensions.TINY.copy(videoWidth = 48, videoContext = 48)
        val c = components(dit(narrow), TinyLtx2Text().writeConnectors(dir.resolve(TinyLtx2Text.CONNECTORS_FILE)))
        val e = assertThrows<ModelFileException> { Ltx2DitCheck.check(c.getValue(ComponentKind.DIFFUSION_MODEL), c[ComponentKind.TEXT_CONNECTORS]) }
        assertTrue(e.message!!.contains("64 wide") && e.message!!.contains("takes 48"), e.message)
    }

    @Test
    fun `a file without the audio stream is not an LTX-2 DiT`() {
        val full = components(dit()).getValue(ComponentKind.DIFFUSION_MODEL)
        val e = assertThrows<ModelFileException> { Ltx2DitCheck.check(full.copy(tensors = full.tensors - "audio_patchify_proj.weight"), null) }
        assertTrue(e.message!!.contains("audio_patchify_proj.weight"), e.message)
    }
}
