package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

/** [TinyLtx2AudioVae]'s file as [Ltx2Weights] splits it, and what [Ltx2AudioVaeCheck] says of it and of broken copies. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2AudioVaeCheckTest {
    private val dir: Path = Files.createTempDirectory("ltx2-audio-vae")

    private val vae: Component = run {
        val input = ModelOpener.openFile(TinyLtx2AudioVae().write(dir.resolve("ltx-2.3-random_audio_vae.safetensors")), null)
        assertTrue(input.names.all { it.startsWith(TinyLtx2AudioVae.PREFIX) }, "every name under audio_vae.")
        val (components, ignored) = Ltx2Weights.split(listOf(input))
        assertEquals(emptyList<String>(), ignored)
        components.getValue(ComponentKind.AUDIO_VAE)
    }

    @AfterAll
    fun clean() {
        dir.toFile().deleteRecursively()
    }

    @Test
    fun `the tiny file is a whole audio VAE of the tiny dimensions`() {
        assertEquals(Ltx2AudioVaeTensors.of(TinyLtx2AudioVae.TINY).map { it.name }.toSet(), vae.tensors.keys)
        assertEquals(TinyLtx2AudioVae.TINY, Ltx2AudioVaeCheck.check(vae))
    }

    @Test
    fun `a missing tensor is named`() {
        val name = "decoder.up.0.block.1.conv2.conv.bias"
        val e = assertThrows<ModelFileException> { Ltx2AudioVaeCheck.check(vae.copy(tensors = vae.tensors - name)) }
        assertTrue(e.message!!.contains(name), e.message)
    }

    @Test
    fun `a tensor of the wrong shape is named`() {
        val name = "decoder.mid.block_2.conv2.conv.bias"
        val swapped = vae.tensors + (name to vae.tensors.getValue("decoder.conv_out.conv.bias"))
        val e = assertThrows<ModelFileException> { Ltx2AudioVaeCheck.check(vae.copy(tensors = swapped)) }
        // the file's own tensor is named: here the conv_out bias put where mid.block_2's belongs
        assertTrue(e.message!!.contains("audio_vae.decoder.conv_out.conv.bias") && e.message!!.contains("is [2]") && e.message!!.contains("has [32]"), e.message)
    }

    @Test
    fun `a file that is no audio decoder, or one with attention, is refused`() {
        val noDecoder = assertThrows<ModelFileException> { Ltx2AudioVaeCheck.check(vae.copy(tensors = vae.tensors.filterKeys { !it.startsWith("decoder.conv_in") })) }
        assertTrue(noDecoder.message!!.contains("not an LTX-2 audio VAE") && noDecoder.message!!.contains("conv_in"), noDecoder.message)
        val attention = vae.tensors + ("decoder.mid.attn_1.q.conv.weight" to vae.tensors.getValue("decoder.conv_out.conv.weight"))
        val e = assertThrows<ModelFileException> { Ltx2AudioVaeCheck.check(vae.copy(tensors = attention)) }
        assertTrue(e.message!!.contains("attention"), e.message)
    }
}
