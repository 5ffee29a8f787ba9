package dev.sdj.core.model.convert

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.engine.ImageDifference
import dev.sdj.core.engine.SdjEngine
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.family.t5.T5ModelVocabulary
import dev.sdj.core.family.t5.T5TestVocabulary
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TokenizerSource
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * A tiny Flux model converts from each layout the engine opens into one GGUF in stable-diffusion.cpp's Flux names that
 * generates on its own (both tokenizers inside): at f16 the same pixels as the source, at q8_0 close to them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxConvertTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux-convert")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val model = TinyFluxModel()
    private val clipTokenizer: Path = HuggingFaceClipFiles.write(dir.resolve("clip-tokenizer"), vocab.tokens, vocab.merges)
    private val split: List<Path> by lazy { model.writeSplitFiles(dir.resolve("split")) }
    private val sourcePng: ByteArray by lazy { generate(EngineConfig(split, Optional.of(clipTokenizer), Optional.empty()).withT5Tokenizer(T5TestVocabulary.file)) }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun open(paths: List<Path>): AssembledModel =
        ModelAssembly.assemble(ModelOpener.open(paths, clipTokenizer, T5TestVocabulary.file))

    private fun convert(paths: List<Path>, type: DType, name: String): Path =
        dir.resolve(name).also { GgufConverter(ConvertedTypes(type)).convert(open(paths), it) }

    private fun generate(config: EngineConfig): ByteArray = SdjEngine(config).use {
        it.generate(GenerationRequest.builder("a lighthouse at (dusk:1.2)").size(64, 48).steps(2).seed(5).cfgScale(1.0)
            .sampler("euler").device("CPU").threads(2).build()).png
    }

    private fun pixels(png: ByteArray): IntArray {
        val image = javax.imageio.ImageIO.read(png.inputStream())
        return image.getRGB(0, 0, image.width, image.height, null, 0, image.width)
    }

    @Test
    fun `separate files convert at f16 to one file that generates the same pixels with no tokenizer given`() {
        val out = convert(split, DType.F16, "split-f16.gguf")
        val reopened = ModelAssembly.assemble(ModelOpener.open(listOf(out)))
        assertEquals(ModelFamily.FLUX, reopened.family)
        assertTrue(reopened.tokenizers[ComponentKind.TEXT_ENCODER] is TokenizerSource.GgufMetadata)
        assertEquals(T5TestVocabulary.vocabulary.pieces, T5ModelVocabulary.of(reopened).pieces)
        assertArrayEquals(pixels(sourcePng), pixels(generate(EngineConfig.of(out))))
    }

    @Test
    fun `the converted file names tensors as stable-diffusion cpp reads a Flux single file`() {
        val names = open(listOf(convert(split, DType.F16, "names.gguf"))).inputs.single().names
        for (expected in listOf("model.diffusion_model.double_blocks.0.img_attn.qkv.weight", "model.diffusion_model.final_layer.linear.weight",
                "text_encoders.clip_l.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight",
                "text_encoders.t5xxl.transformer.encoder.block.0.layer.0.SelfAttention.q.weight", "first_stage_model.decoder.conv_in.weight")) {
            assertTrue(expected in names, "$expected among ${names.take(8)}…")
        }
    }

    @Test
    fun `a diffusers folder converts to Black Forest Labs' fused names and the same pixels`() {
        val folder = model.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"), vocab.tokens to vocab.merges, T5TestVocabulary.file)
        val out = convert(listOf(folder), DType.F16, "diffusers-f16.gguf")
        val converted = open(listOf(out)).components
        val fromSplit = open(split).components
        for (kind in fromSplit.keys) {
            assertEquals(fromSplit.getValue(kind).tensors.mapValues { it.value.shape }, converted.getValue(kind).tensors.mapValues { it.value.shape }, kind.label)
        }
        assertArrayEquals(pixels(sourcePng), pixels(generate(EngineConfig.of(out))))
    }

    @Test
    fun `the all-in-one checkpoint converts at q8_0 by stable-diffusion cpp's rule and generates close to the source`() {
        val single = model.writeSingleFile(dir.resolve("flux1-tiny-all.safetensors"))
        val out = convert(listOf(single), DType.Q8_0, "single-q8_0.gguf")
        val tensors = open(listOf(out)).inputs.single().tensors.map { it.second }
        assertTrue(tensors.any { it.type == DType.Q8_0 })
        for (info in tensors) {
            val expected = if (SdCppTypeRule.converts(info.name, info.shape, DType.Q8_0)) DType.Q8_0 else DType.F16
            assertEquals(expected, info.type, info.name)
        }
        val psnr = ImageDifference.psnr(sourcePng, generate(EngineConfig.of(out)))
        println("convert: Flux q8_0 GGUF against the f16 separate files: PSNR %.1f dB".format(psnr))
        assertTrue(psnr >= 40.0, "PSNR $psnr dB")
    }
}
