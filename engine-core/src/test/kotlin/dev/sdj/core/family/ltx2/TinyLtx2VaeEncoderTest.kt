package dev.sdj.core.family.ltx2

import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class TinyLtx2VaeEncoderTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `the whole VAE file gives the encoder its own component, the decoder and statistics theirs`() {
        val encoder = TinyLtx2VaeEncoder()
        val decoder = TinyLtx2Vae()
        val input = ModelOpener.openFile(decoder.write(dir.resolve("ltx-2.3-vae.safetensors"), encoder), null)
        val (components, ignored) = Ltx2Weights.split(listOf(input))
        assertEquals(emptyList<String>(), ignored)
        val enc = components.getValue(ComponentKind.VAE_ENCODER)
        // The encoder reads the latent statistics too (image-to-video normalises with them), so it carries a copy.
        assertEquals(encoder.entries.map { it.name }.toSet() + setOf("per_channel_statistics.mean-of-means", "per_channel_statistics.std-of-means"),
            enc.tensors.keys)
        assertEquals(decoder.entries.map { it.name }.toSet(), components.getValue(ComponentKind.VAE).tensors.keys)
        // conv_in reads 3 colours × 4 × 4 pixels; conv_out gives 128 means and the log-variance
        assertEquals(listOf(3L, 3L, 3L, 48L * 8), ParamSpecs.ggmlShape(enc.tensors.getValue("encoder.conv_in.conv.weight").shape))
        assertEquals(listOf(129L), ParamSpecs.ggmlShape(enc.tensors.getValue("encoder.conv_out.conv.bias").shape))
        // compress_all_res 16 → 32: its convolution gives 32 / 8 channels
        assertEquals(listOf(3L, 3L, 3L, 16L * 4), ParamSpecs.ggmlShape(enc.tensors.getValue("encoder.down_blocks.5.conv.conv.weight").shape))
    }
}
