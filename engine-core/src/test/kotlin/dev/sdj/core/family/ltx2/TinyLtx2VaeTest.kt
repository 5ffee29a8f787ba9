package dev.sdj.core.family.ltx2

import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class TinyLtx2VaeTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `the file holds the decoder under vae, which Ltx2Weights gives the VAE without the prefix`() {
        val tiny = TinyLtx2Vae(TinyLtx2Vae.TINY_CONDITIONED)
        val input = ModelOpener.openFile(tiny.write(dir.resolve("ltx-2.3-vae.safetensors")), null)
        assertTrue(input.names.all { it.startsWith(TinyLtx2Vae.PREFIX) }, "every name under vae.")
        val (components, ignored) = Ltx2Weights.split(listOf(input))
        assertEquals(emptyList<String>(), ignored)
        val vae = components.getValue(ComponentKind.VAE)
        assertEquals(tiny.entries.map { it.name }.toSet(), vae.tensors.keys)
        // a 3-D kernel [Cout, Cin, 3, 3, 3] reaches ggml as [3, 3, 3, Cin·Cout]
        assertEquals(listOf(3L, 3L, 3L, 128L * 32), ParamSpecs.ggmlShape(vae.tensors.getValue("decoder.conv_in.conv.weight").shape))
        assertEquals(listOf(32L, 4L), vae.tensors.getValue("decoder.up_blocks.0.res_blocks.0.scale_shift_table").shape)
        // the 0-dim multiplier becomes one value
        assertEquals(listOf(1L), ParamSpecs.ggmlShape(vae.tensors.getValue("decoder.timestep_scale_multiplier").shape))
    }

    @Test
    fun `the tiny decoders have every level kind of LTX-2's and its scale factors`() {
        for (d in listOf(TinyLtx2Vae.TINY, TinyLtx2Vae.TINY_CONDITIONED)) {
            val ups = d.levels.filterIsInstance<Ltx2VaeLevel.Upsample>().map { it.time to it.space }.toSet()
            assertEquals(setOf(2 to 2, 2 to 1, 1 to 2), ups, "compress_all, compress_time, compress_space")
            assertEquals(8 to 32, d.timeScale to d.spaceScale)
        }
        assertTrue(TinyLtx2Vae.TINY_CONDITIONED.levels.any { it is Ltx2VaeLevel.Residual && it.conditioned })
    }
}
