package dev.sdj.core.family.t5

import dev.sdj.core.family.clip.ClipTestVocabulary
import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ModelFileException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.TokenizerSource
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/**
 * Where a Flux model's T5 tokenizer is found: the --t5-tokenizer path, else the diffusers folder's tokenizer_2/, else
 * the T5 GGUF's metadata; and the refusal that names what to get when there is none. Models are a few Flux and T5
 * tensor names with dummy data (family detection reads names only); tokenizer files are copies of the shared T5
 * tokenizer.json made in the temporary folder, never committed.
 */
class T5ModelVocabularyTest {
    @TempDir
    lateinit var dir: Path

    private val prompt = "A photo of a cat riding a horse on Mars, 4k"

    private fun safetensors(path: Path, vararg names: String): Path {
        val w = SafetensorsWriter()
        names.forEach { w.addTensor(it, DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8))) }
        Files.createDirectories(path.parent)
        return path.also { w.write(it) }
    }

    private fun fluxDiT(path: Path = dir.resolve("flux1-dev.safetensors")) =
        safetensors(path, "double_blocks.0.img_attn.qkv.weight", "img_in.weight", "guidance_in.in_layer.weight")

    private fun t5Encoder(path: Path = dir.resolve("t5xxl.safetensors")) =
        safetensors(path, "encoder.block.0.layer.0.SelfAttention.q.weight", "shared.weight")

    private fun tokenizerJson(folder: Path): Path =
        Files.copy(T5TestVocabulary.file, Files.createDirectories(folder).resolve("tokenizer.json"))

    private fun assemble(paths: List<Path>, t5: Path? = null, clip: Path? = null): AssembledModel =
        ModelAssembly.assemble(ModelOpener.open(paths, clip, t5))

    private fun assertTokenizesAsReference(model: AssembledModel) {
        assertEquals(T5TestVocabulary.tokenizer.tokenize(prompt, 64), T5Tokenizer(T5ModelVocabulary.of(model)).tokenize(prompt, 64))
    }

    @Test
    fun `a diffusers folder's tokenizer_2 tokenizer json is found`() {
        val flux = dir.resolve("FLUX.1-schnell")
        safetensors(flux.resolve("transformer/diffusion_pytorch_model.safetensors"),
            "transformer_blocks.0.attn.to_q.weight", "single_transformer_blocks.0.attn.to_q.weight", "x_embedder.weight")
        t5Encoder(flux.resolve("text_encoder_2/model.safetensors"))
        val json = tokenizerJson(flux.resolve("tokenizer_2"))
        val model = assemble(listOf(flux))
        assertEquals(ModelFamily.FLUX, model.family)
        assertEquals(TokenizerSource.T5File(json), model.tokenizers[ComponentKind.TEXT_ENCODER_2])
        assertTokenizesAsReference(model)
    }

    @Test
    fun `the option names a tokenizer json, a folder holding one, and wins over the model's own`() {
        val given = tokenizerJson(dir.resolve("given"))
        val files = listOf(fluxDiT(), t5Encoder())
        assertEquals(TokenizerSource.T5File(given), assemble(files, t5 = given).tokenizers[ComponentKind.TEXT_ENCODER_2])
        val model = assemble(files, t5 = dir.resolve("given"))
        assertEquals(TokenizerSource.T5File(given), model.tokenizers[ComponentKind.TEXT_ENCODER_2])
        assertTokenizesAsReference(model)

        val withOwn = assemble(listOf(files[0], gguf()), t5 = given)
        assertEquals(TokenizerSource.T5File(given), withOwn.tokenizers[ComponentKind.TEXT_ENCODER_2])
    }

    @Test
    fun `a T5 GGUF's tokenizer metadata is found`() {
        val t5 = gguf()
        val model = assemble(listOf(fluxDiT(), t5))
        val source = model.tokenizers[ComponentKind.TEXT_ENCODER_2]
        assertEquals(TokenizerSource.T5GgufMetadata(t5, 32000), source)
        assertTokenizesAsReference(model)
    }

    @Test
    fun `a flux model without a T5 tokenizer is refused with the file to get and the option`() {
        val model = assemble(listOf(fluxDiT(), t5Encoder()))
        assertFalse(ComponentKind.TEXT_ENCODER_2 in model.tokenizers)
        val error = assertThrows(InvalidRequestException::class.java) { T5ModelVocabulary.of(model) }
        for (part in listOf("--t5-tokenizer", "tokenizer.json", "google/t5-v1_1-xxl", "tokenizer_2/", "FLUX.1")) {
            assertTrue(part in error.message!!, error.message)
        }
    }

    @Test
    fun `an option naming no tokenizer is refused by path`() {
        val empty = Files.createDirectories(dir.resolve("empty"))
        val error = assertThrows(ModelFileException::class.java) { assemble(listOf(fluxDiT()), t5 = empty) }
        assertEquals(empty, error.file())
        assertTrue("tokenizer.json" in error.reason() && "spiece.model" in error.reason(), error.reason())
    }

    /** SDXL's second slot is CLIP-G: a T5 option serves nothing there, and CLIP's --tokenizer still fills both slots. */
    @Test
    fun `sdxl keeps its clip tokenizers when a T5 one is given`() {
        val sdxl = TinySdModel(TinySdModel.SDXL_TINY).writeSingleFile(dir.resolve("sdxl.safetensors"))
        val clip = ClipTestVocabulary.file
        val model = assemble(listOf(sdxl), t5 = tokenizerJson(dir.resolve("t5")), clip = clip)
        assertEquals(ModelFamily.SDXL, model.family)
        assertEquals(TokenizerSource.OpenAiBpe(clip), model.tokenizers[ComponentKind.TEXT_ENCODER])
        assertEquals(TokenizerSource.OpenAiBpe(clip), model.tokenizers[ComponentKind.TEXT_ENCODER_2])
    }

    @Test
    fun `a T5 source is no CLIP vocabulary`() {
        val error = assertThrows(InvalidRequestException::class.java) {
            ClipVocabulary.load(TokenizerSource.T5File(dir.resolve("tokenizer.json")))
        }
        assertTrue("T5" in error.message!!, error.message)
    }

    /** A T5 encoder GGUF as llama.cpp's converter writes one: T5 tensors and SentencePiece metadata (the first 32,000 pieces). */
    private fun gguf(): Path {
        val json = ObjectMapper().readTree(T5TestVocabulary.file.toFile())
        val pieces = json["model"]["vocab"].take(32000).map { it[0].textValue() to it[1].doubleValue() }
        val types = pieces.indices.map { id -> mapOf(0 to 3, 1 to 3, 2 to 2)[id] ?: 1 }
        val file = dir.resolve("t5xxl-q8_0.gguf")
        GgufWriter()
            .put("tokenizer.ggml.model", "t5")
            .putStrings("tokenizer.ggml.tokens", pieces.map { it.first })
            .put("tokenizer.ggml.scores", GgufValue.float32Array(pieces.map { it.second.toFloat() }.toFloatArray()))
            .put("tokenizer.ggml.token_type", GgufValue.int32Array(types.toIntArray()))
            .addTensor("encoder.block.0.layer.0.SelfAttention.q.weight", DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8)))
            .addTensor("shared.weight", DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8)))
            .write(file)
        return file
    }
}
