package dev.sdj.core.family.sd

import dev.sdj.core.bench.GenerationBenchmark
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The layout of SDXL base at full size, the benchmark's [GenerationBenchmark.SDXL_BASE], against what its published
 * checkpoints hold (generative-models' sd_xl_base.yaml: 320 channels, levels (1, 2, 4), transformer depths 0/2/10,
 * context 2048, adm_in_channels 2816), and the diffusers names the layout gives against the diffusers renamer: two
 * derivations of the same names.
 */
class SdxlBaseLayoutTest {
    private val arch = GenerationBenchmark.SDXL_BASE
    private val layout = SdTensorLayout(arch)
    private val unet = layout.unet().associate { it.ldm to it.torchShape }

    @Test
    fun `the UNet has SDXL base's tensors where its checkpoints have them`() {
        assertEquals(listOf(320L, 4, 3, 3), unet["input_blocks.0.0.weight"])
        assertEquals(listOf(1280L, 2816), unet["label_emb.0.0.weight"])
        assertEquals(listOf(1280L, 1280), unet["label_emb.0.2.weight"])
        assertEquals(listOf(640L, 2048), unet["input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight"])
        assertEquals(listOf(1280L, 2048), unet["input_blocks.7.1.transformer_blocks.9.attn2.to_v.weight"])
        assertEquals(listOf(1280L, 2048), unet["middle_block.1.transformer_blocks.9.attn2.to_k.weight"])
        assertEquals(listOf(640L, 640), unet["input_blocks.4.1.proj_in.weight"])
        assertTrue("output_blocks.2.2.conv.weight" in unet && "output_blocks.5.2.conv.weight" in unet, "upsamplers follow the attention")
        assertEquals(listOf(4L, 320, 3, 3), unet["out.2.weight"])
        assertFalse(unet.keys.any { it.startsWith("input_blocks.1.1.") || it.startsWith("output_blocks.8.1.") }, "no attention at full resolution")
        assertFalse("input_blocks.7.1.transformer_blocks.10.norm1.weight" in unet)
        assertFalse(unet.keys.any { it.startsWith("input_blocks.9.") || it.startsWith("output_blocks.9.") }, "three levels")
    }

    @Test
    fun `the diffusers renamer maps every diffusers name of the layout to its LDM name`() {
        val entries = layout.unet()
        val renamer = DiffusersUnetNames(entries.map { it.diffusers })
        for (e in entries) assertEquals(e.ldm, renamer.canonical(e.diffusers), e.diffusers)
        assertTrue(entries.any { it.diffusers == "add_embedding.linear_2.bias" })
        assertTrue(entries.any { it.diffusers == "up_blocks.0.attentions.2.transformer_blocks.9.ff.net.2.weight" })
    }

    @Test
    fun `the text encoders are CLIP-L and OpenCLIP bigG with its projection, 2048 wide together`() {
        val clip2 = layout.clip2().associate { it.ldm to it.torchShape }
        assertEquals(listOf(49408L, 1280), clip2["text_model.embeddings.token_embedding.weight"])
        assertEquals(listOf(5120L, 1280), clip2["text_model.encoder.layers.31.mlp.fc1.weight"])
        assertEquals(listOf(1280L, 1280), clip2[SdTensorLayout.TEXT_PROJECTION])
        assertEquals(listOf(3072L, 768), layout.clip().associate { it.ldm to it.torchShape }["text_model.encoder.layers.11.mlp.fc1.weight"])
        assertEquals(2048, arch.textWidth)
        assertEquals(2816, 1280 + SdArchitecture.SDXL_SIZE_CONDITIONS)
    }
}
