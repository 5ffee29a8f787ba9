package dev.sdj.core.family.sd

import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ModelFileException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.model.DType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** A model whose tensors do not make the graphs the engine builds is refused at open, naming the tensor and the file. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelCheckTest {
    @TempDir
    lateinit var dir: Path
    private val model = EditedTinyModel()

    private fun refused(file: Path): ModelFileException =
        assertThrows(ModelFileException::class.java) { Engine.open(EngineConfig.of(file)).close() }
            .also { assertEquals(file, it.file(), it.message) }

    private fun generates(file: Path) = Engine.open(EngineConfig.of(file)).use { e ->
        e.generate(GenerationRequest.builder("a lighthouse at dusk").size(32, 32).steps(1).device("CPU").threads(2).build())
    }

    @Test
    fun `a tokenizer with more tokens than the token embedding has rows is refused`() {
        val file = EditedTinyModel(ClipVocabulary.tinyGenerated(400), TinySdModel.SD1_TINY.copy(
            clip = TinySdModel.SD1_TINY.clip.copy(vocabSize = 300))).write(dir.resolve("short-embedding.gguf"))
        val e = refused(file)
        assertEquals("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", e.tensor().get())
        assertTrue(e.reason().contains("300 rows") && e.reason().contains("tokenizer"), e.message)
    }

    @Test
    fun `a token embedding narrower than the position embedding is refused`() {
        val file = model.write(dir.resolve("narrow-tokens.gguf")) { t ->
            if (t.name.endsWith("token_embedding.weight")) t.copy(shape = listOf(16L, t.shape[1])) else t
        }
        val e = refused(file)
        assertTrue(e.tensor().get().endsWith("position_embedding.weight"), e.message)
        assertTrue(e.reason().contains("[77, 32]") && e.reason().contains("[77, 16]"), e.message)
    }

    @Test
    fun `a VAE encoder tensor of the wrong shape is refused at open, though text-to-image does not read it`() {
        val file = model.write(dir.resolve("encoder-shape.gguf")) { t ->
            if (t.name == "first_stage_model.encoder.conv_in.weight") t.copy(shape = listOf(t.shape[0], t.shape[1], 4L, t.shape[3])) else t
        }
        val e = refused(file)
        assertEquals("first_stage_model.encoder.conv_in.weight", e.tensor().get())
        assertTrue(e.reason().contains(", 4, 3, 3]") && e.reason().contains(", 3, 3, 3]"), e.message)
    }

    @Test
    fun `a dropped bias is refused as missing`() {
        val file = model.write(dir.resolve("no-bias.gguf")) { t -> t.takeUnless { t.name == "model.diffusion_model.out.2.bias" } }
        val e = refused(file)
        assertEquals("out.2.bias", e.tensor().get())
        assertTrue(e.reason().contains("missing"), e.message)
    }

    @Test
    fun `a misnamed shortcut convolution is refused`() {
        val file = model.write(dir.resolve("misnamed.gguf")) { t ->
            if (t.name.startsWith("first_stage_model.decoder.up.1.block.0.nin_shortcut.")) t.copy(name = t.name.replace("nin_shortcut", "shortcut")) else t
        }
        val e = refused(file)
        assertTrue(e.tensor().get().startsWith("decoder.up.1.block.0.nin_shortcut."), e.message)
    }

    @Test
    fun `an extra transformer block the graph would read is refused`() {
        val extra = model.tensors.filter { it.name.startsWith("model.diffusion_model.middle_block.1.transformer_blocks.0.") }
            .map { it.copy(name = it.name.replace("transformer_blocks.0", "transformer_blocks.1")) }
        val e = refused(model.write(dir.resolve("extra.gguf"), extra))
        assertTrue(e.tensor().get().contains("transformer_blocks.1"), e.message)
    }

    @Test
    fun `integer parameters are refused`() {
        val file = model.write(dir.resolve("int.gguf")) { t ->
            if (t.name == "model.diffusion_model.out.2.weight") t.copy(type = DType.I16) else t
        }
        assertTrue(refused(file).reason().contains("floating point"))
    }

    @Test
    fun `channel counts that do not split into 32 groups are refused`() {
        val vocabulary = ClipVocabulary.tinyGenerated(400)
        val arch = TinySdModel.SD1_TINY.let { it.copy(unet = it.unet.copy(modelChannels = 24), clip = it.clip.copy(vocabSize = vocabulary.size)) }
        val e = refused(EditedTinyModel(vocabulary, arch).write(dir.resolve("groups.gguf")))
        assertTrue(e.reason().contains("32 normalisation groups"), e.message)
    }

    @Test
    fun `a checkpoint without the VAE encoder and with CLIP position ids still generates`() {
        val ids = EditedTinyModel.Tensor("cond_stage_model.transformer.text_model.embeddings.position_ids", listOf(77L, 1L), DType.I64)
        val file = model.write(dir.resolve("decoder-only.gguf"), listOf(ids)) { t ->
            t.takeUnless { it.name.startsWith("first_stage_model.encoder.") || it.name.startsWith("first_stage_model.quant_conv.") }
        }
        assertEquals(32, generates(file).width())
    }
}
