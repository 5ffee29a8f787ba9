package dev.sdj.core.family.sd

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** An SDXL model is read from its weights and refused, naming the tensor and the file, where its graphs would fail. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlModelCheckTest {
    @TempDir
    lateinit var dir: Path

    private val arch = TinySdModel.SDXL_TINY
    private val vocabularySize = arch.clip.vocabSize

    private fun open(vararg paths: Path) = ModelAssembly.assemble(ModelOpener.open(paths.toList()))

    private fun checkpoint(arch: SdArchitecture, name: String) = open(TinySdModel(arch).writeSingleFile(dir.resolve(name)))

    private fun refused(model: AssembledModel): ModelFileException =
        assertThrows(ModelFileException::class.java) { SdModelCheck.sdxl(model).check(vocabularySize) }

    private fun without(model: AssembledModel, kind: ComponentKind, name: String): AssembledModel {
        val component = model.components.getValue(kind)
        return model.copy(components = model.components + (kind to component.copy(tensors = component.tensors - name)))
    }

    @Test
    fun `the architecture read from the weights is the one the tiny model was made with`() {
        for ((layout, model) in listOf(
            "checkpoint" to checkpoint(arch, "read.safetensors"),
            "diffusers" to open(TinySdModel(arch).writeDiffusersFolder(dir.resolve("read-diffusers"))),
        )) {
            assertEquals(arch, SdArchitectureReader(model).architecture(), layout)
        }
    }

    @Test
    fun `an inpainting UNet is recognised from its 9 input channels and a UNet reading 5 is refused naming its first convolution`() {
        val inpainting = checkpoint(TinySdModel.SDXL_TINY_INPAINT, "inpainting.safetensors")
        SdModelCheck.sdxl(inpainting).check(vocabularySize)
        assertEquals(TinySdModel.SDXL_TINY_INPAINT, SdArchitectureReader(inpainting).architecture())
        assertTrue(SdInpaintingUnet.of(inpainting))
        val five = checkpoint(arch.copy(unet = arch.unet.copy(inChannels = 5)), "five.safetensors")
        val e = refused(five)
        assertTrue(e.message!!.contains("input_blocks.0.0.weight") && e.message!!.contains("reads 5 channels"), e.message)
    }

    @Test
    fun `every layout of the tiny SDXL passes`() {
        val tiny = TinySdModel(arch)
        SdModelCheck.sdxl(open(tiny.writeSingleFile(dir.resolve("ok.safetensors")))).check(vocabularySize)
        SdModelCheck.sdxl(open(tiny.writeSingleFile(dir.resolve("ok.gguf")))).check(vocabularySize)
        SdModelCheck.sdxl(open(tiny.writeDiffusersFolder(dir.resolve("ok-diffusers")))).check(vocabularySize)
        SdModelCheck.sdxl(open(*tiny.writeSplitFiles(dir.resolve("ok-split")).toTypedArray())).check(vocabularySize)
    }

    @Test
    fun `a missing added-condition tensor is refused as missing`() {
        val model = checkpoint(arch, "no-label-emb.safetensors")
        for (name in listOf("label_emb.0.0.weight", "label_emb.0.2.bias")) {
            val e = refused(without(model, ComponentKind.DIFFUSION_MODEL, name))
            assertEquals(name, e.tensor().get())
            assertTrue(e.reason().contains("missing"), e.message)
        }
    }

    @Test
    fun `a missing deeper transformer block is refused`() {
        val e = refused(without(checkpoint(arch, "shallow.safetensors"), ComponentKind.DIFFUSION_MODEL,
            "input_blocks.7.1.transformer_blocks.1.attn2.to_k.weight"))
        assertEquals("input_blocks.7.1.transformer_blocks.1.attn2.to_k.weight", e.tensor().get())
    }

    @Test
    fun `a missing bigG projection is refused`() {
        val e = refused(without(checkpoint(arch, "no-projection.safetensors"), ComponentKind.TEXT_ENCODER_2, SdTensorLayout.OPEN_CLIP_PROJECTION))
        assertEquals(SdTensorLayout.TEXT_PROJECTION, e.tensor().get())
        assertTrue(e.reason().contains("text encoder 2"), e.message)
    }

    @Test
    fun `a model without its second text encoder is refused naming what SDXL needs`() {
        val model = checkpoint(arch, "one-encoder.safetensors")
        val e = refused(model.copy(components = model.components - ComponentKind.TEXT_ENCODER_2))
        assertTrue(e.reason().contains("no text encoder 2") && e.reason().contains("bigG"), e.message)
    }

    @Test
    fun `a UNet whose cross-attention is not as wide as both encoders together is refused`() {
        val e = refused(checkpoint(arch.copy(unet = arch.unet.copy(contextDim = 64)), "context.safetensors"))
        assertTrue(e.tensor().get().endsWith("attn2.to_k.weight"), e.message)
        assertTrue(e.reason().contains("64-wide") && e.reason().contains("32 + 48 = 80"), e.message)
    }

    @Test
    fun `an added-condition input that does not fit the pooled embedding and size conditions is refused`() {
        val e = refused(checkpoint(arch.copy(unet = arch.unet.copy(admInChannels = 2816)), "adm.safetensors"))
        assertEquals("model.diffusion_model.label_emb.0.0.weight", e.tensor().get())
        assertTrue(e.reason().contains("2816") && e.reason().contains("1584"), e.message)
    }

    @Test
    fun `a tokenizer larger than the second encoder's embedding is refused`() {
        val small = arch.copy(clip2 = arch.clip2!!.copy(vocabSize = 500))
        val e = refused(checkpoint(small, "small-bigG.safetensors"))
        assertEquals("conditioner.embedders.1.model.token_embedding.weight", e.tensor().get())
        assertTrue(e.reason().contains("500 rows"), e.message)
    }
}
