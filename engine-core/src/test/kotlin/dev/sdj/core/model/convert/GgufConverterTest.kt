package dev.sdj.core.model.convert

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.engine.ImageDifference
import dev.sdj.core.engine.SdjEngine
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.SdTensorLayout
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TokenizerSource
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.regex.Pattern

/**
 * A tiny SD 1.x diffusers folder converted to one q8_0 GGUF reopens to the same components, quantized where
 * stable-diffusion.cpp's rule says, carries its tokenizer and generates close to the f16 folder; SDXL converts too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GgufConverterTest {
    private val dir: Path = Files.createTempDirectory("sdj-convert")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val sd1 = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
    private val sd1Folder: Path by lazy { sd1.writeDiffusersFolder(dir.resolve("sd1"), vocab.tokens to vocab.merges) }
    private val sd1Q8: Path by lazy {
        dir.resolve("sd1-q8_0.gguf").also { GgufConverter(ConvertedTypes(DType.Q8_0)).convert(open(sd1Folder), it) }
    }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun open(vararg paths: Path): AssembledModel = ModelAssembly.assemble(ModelOpener.open(paths.toList()))

    private fun assertSameComponents(expected: AssembledModel, actual: AssembledModel) {
        assertEquals(expected.family, actual.family)
        assertEquals(expected.components.keys, actual.components.keys)
        for ((kind, component) in expected.components) {
            val converted = actual.components.getValue(kind).tensors
            assertEquals(component.tensors.keys, converted.keys, "${kind.label} tensor names")
            component.tensors.forEach { (name, ref) -> assertEquals(ref.shape, converted.getValue(name).shape, "${kind.label} $name") }
        }
    }

    @Test
    fun `a diffusers folder converts to a GGUF that reopens to the same components`() =
        assertSameComponents(open(sd1Folder), open(sd1Q8))

    @Test
    fun `the converted file quantizes exactly the tensors stable-diffusion cpp's rule picks`() {
        val file = open(sd1Q8).inputs.single().tensors
        assertTrue(file.any { it.second.type == DType.Q8_0 })
        for ((_, info) in file) {
            val expected = if (SdCppTypeRule.converts(info.name, info.shape, DType.Q8_0)) DType.Q8_0 else DType.F16
            assertEquals(expected, info.type, info.name)
        }
    }

    @Test
    fun `the converted file carries its tokenizer, so it opens without one`() {
        val tokenizer = open(sd1Q8).tokenizers[ComponentKind.TEXT_ENCODER]
        assertTrue(tokenizer is TokenizerSource.GgufMetadata, "$tokenizer")
        assertEquals(vocab.tokens.size, (tokenizer as TokenizerSource.GgufMetadata).tokenCount)
    }

    @Test
    fun `the converted q8_0 file generates close to the f16 folder`() {
        val original = SdjEngine(EngineConfig.of(sd1Folder)).use { it.generate(request).png }
        val converted = SdjEngine(EngineConfig.of(sd1Q8)).use { it.generate(request).png }
        val psnr = ImageDifference.psnr(original, converted)
        println("convert: q8_0 GGUF against the f16 diffusers folder: PSNR %.1f dB".format(psnr))
        assertTrue(psnr >= 45.0, "PSNR $psnr dB")
    }

    @Test
    fun `keep patterns hold matching tensors in their stored type`() {
        val out = dir.resolve("sd1-keep-vae.gguf")
        GgufConverter(ConvertedTypes(DType.Q8_0, listOf(Pattern.compile("^first_stage_model\\.")))).convert(open(sd1Folder), out)
        val tensors = open(out).inputs.single().tensors.map { it.second }
        assertTrue(tensors.filter { it.name.startsWith("first_stage_model.") }.all { it.type == DType.F16 })
        assertTrue(tensors.any { it.type == DType.Q8_0 })
    }

    private val request = GenerationRequest.builder("a lighthouse at dusk")
        .size(64, 64).steps(2).seed(5).cfgScale(1.0).sampler("euler").device("CPU").threads(2).build()

    /**
     * stable-diffusion.cpp reads SDXL's bigG only in OpenCLIP's names with q/k/v fused (its graph has one in_proj), so
     * the converted file holds them so, the Hugging Face text projection transposed; the image is the folder's.
     */
    @Test
    fun `an SDXL diffusers folder converts to OpenCLIP names for bigG and generates the folder's image`() {
        val folder = TinySdModel(TinySdModel.SDXL_TINY.let {
            it.copy(clip = it.clip.copy(vocabSize = vocab.size), clip2 = it.clip2!!.copy(vocabSize = vocab.size))
        }).writeDiffusersFolder(dir.resolve("sdxl"), vocab.tokens to vocab.merges)
        val out = dir.resolve("sdxl-f16.gguf")
        GgufConverter(ConvertedTypes(DType.F16)).convert(open(folder), out)
        val reopened = open(out)
        assertEquals(ModelFamily.SDXL, reopened.family)
        val names = reopened.inputs.single().names
        assertTrue("conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight" in names, "${names.filter { "embedders.1" in it }.take(5)}")
        assertTrue("conditioner.embedders.1.model.text_projection" in names)
        assertTrue(reopened.tokenizers[ComponentKind.TEXT_ENCODER_2] is TokenizerSource.GgufMetadata)
        val projection = open(folder).components.getValue(ComponentKind.TEXT_ENCODER_2).tensors.getValue(SdTensorLayout.TEXT_PROJECTION)
        assertEquals(projection.shape.reversed(), reopened.components.getValue(ComponentKind.TEXT_ENCODER_2).tensors.getValue(SdTensorLayout.OPEN_CLIP_PROJECTION).shape)
        val original = SdjEngine(EngineConfig.of(folder)).use { it.generate(request).png }
        val converted = SdjEngine(EngineConfig.of(out)).use { it.generate(request).png }
        assertEquals(Double.POSITIVE_INFINITY, ImageDifference.psnr(original, converted))
    }

    /** SD 2.x's OpenCLIP-H likewise: the converted file holds the fused projections under OpenCLIP's names. */
    @Test
    fun `an SD2 single file with fused OpenCLIP projections converts and reopens as SD2 in OpenCLIP names`() {
        val arch = TinySdModel.SD1_TINY.let { it.copy(unet = it.unet.copy(linearProjection = true), clip = it.clip.copy(vocabSize = vocab.size)) }
        val file = TinySdModel(arch).writeSingleFile(dir.resolve("sd2.gguf"), vocab.tokens to vocab.merges)
        val out = dir.resolve("sd2-q8_0.gguf")
        GgufConverter(ConvertedTypes(DType.Q8_0)).convert(open(file), out)
        val reopened = open(out)
        assertEquals(ModelFamily.SD2, reopened.family)
        assertSameComponents(open(file), reopened)
        val names = reopened.inputs.single().names
        assertTrue("cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight" in names, "${names.filter { "cond_stage" in it }.take(5)}")
        assertTrue(names.none { "q_proj" in it })
    }

    @Test
    fun `a conversion that fails leaves the earlier output and no temporary file`() {
        val folder = sd1.writeDiffusersFolder(dir.resolve("sd1-truncated"), vocab.tokens to vocab.merges)
        val model = open(folder)
        val unet = folder.resolve("unet/diffusion_pytorch_model.safetensors")
        FileChannel.open(unet, StandardOpenOption.WRITE).use { it.truncate(it.size() / 2) }
        val out = Files.writeString(dir.resolve("failing").also { Files.createDirectories(it) }.resolve("out.gguf"), "earlier")
        val e = assertThrows(Exception::class.java) { GgufConverter(ConvertedTypes(DType.Q8_0)).convert(model, out) }
        assertTrue(e.message!!.contains("diffusion_pytorch_model.safetensors"), e.message)
        assertEquals("earlier", Files.readString(out))
        assertEquals(listOf("out.gguf"), Files.list(out.parent).use { s -> s.map { it.fileName.toString() }.toList() })
    }

    @Test
    fun `families without a settled single-file naming are refused`() {
        assertThrows(UnsupportedModelException::class.java) { SingleFileNames.prefix(ModelFamily.LTX2, ComponentKind.DIFFUSION_MODEL) }
    }

    @Test
    fun `a type ggml cannot write without an importance matrix is refused with the valid names`() {
        val e = assertThrows(Exception::class.java) { ConvertedTypes.parse("iq2_xxs") }
        assertTrue(e.message!!.contains("q8_0"), e.message)
        assertFalse(e.message!!.contains("iq2_xxs,"), e.message)
    }
}
