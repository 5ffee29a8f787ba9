package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.DType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.Arguments
import org.junit.jupiter.params.provider.MethodSource
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap

/**
 * Tiny SD 1.x GGUFs written by stable-diffusion.cpp's conversion rule (norm scales quantized too) generate on the
 * CPU and on lavapipe, close to the f16 model they were converted from.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuantizedGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-quantized")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val arch = TinySdModel.SD1_TINY_WIDE_TEXT.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) }
    private val files = ConcurrentHashMap<DType, Path>()
    private val images = ConcurrentHashMap<Pair<DType, String>, ByteArray>()

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun model(type: DType): Path = files.getOrPut(type) {
        TinySdModel.convertedLikeSdCpp(type, arch).writeSingleFile(dir.resolve("tiny-${type.name.lowercase()}.gguf"), vocab.tokens to vocab.merges)
    }

    private fun image(type: DType, device: String): ByteArray = images.getOrPut(type to device) {
        SdjEngine(EngineConfig.of(model(type))).use { engine ->
            engine.generate(GenerationRequest.builder("a lighthouse at dusk").size(64, 64).steps(2).seed(5)
                .device(device).threads(2).build()).png
        }
    }

    private fun psnrAgainstF16(type: DType, device: String): Double {
        val psnr = ImageDifference.psnr(image(DType.F16, device), image(type, device))
        println("quantized generation: $type on $device: PSNR %.1f dB against the f16 model".format(psnr))
        return psnr
    }

    fun cpuTypes(): List<Arguments> = listOf(
        Arguments.of(DType.Q8_0, 0.0), Arguments.of(DType.Q4_0, 0.0), Arguments.of(DType.Q4_1, 0.0),
        Arguments.of(DType.Q5_0, 0.0), Arguments.of(DType.Q5_1, 0.0),
        Arguments.of(DType.Q2_K, 0.0), Arguments.of(DType.Q3_K, 0.0), Arguments.of(DType.Q4_K, 0.0),
        Arguments.of(DType.Q5_K, 0.0), Arguments.of(DType.Q6_K, 0.0),
        Arguments.of(DType.IQ4_NL, 0.0), Arguments.of(DType.IQ4_XS, 0.0), Arguments.of(DType.IQ3_S, 0.0),
        Arguments.of(DType.IQ3_XXS, 0.0), Arguments.of(DType.IQ2_S, 0.0), Arguments.of(DType.IQ2_XS, 0.0),
        Arguments.of(DType.IQ2_XXS, 0.0), Arguments.of(DType.IQ1_M, 0.0), Arguments.of(DType.IQ1_S, 0.0),
        Arguments.of(DType.TQ1_0, 0.0), Arguments.of(DType.TQ2_0, 0.0), Arguments.of(DType.MXFP4, 0.0),
        Arguments.of(DType.BF16, 0.0), Arguments.of(DType.F32, 0.0),
    )

    @ParameterizedTest
    @MethodSource("cpuTypes")
    fun `a model converted like stable-diffusion cpp generates on the CPU close to its f16 original`(type: DType, minPsnr: Double) {
        val psnr = psnrAgainstF16(type, "CPU")
        assertTrue(psnr >= minPsnr, "$type: PSNR $psnr dB below $minPsnr")
    }

    fun vulkanTypes(): List<Arguments> = listOf(
        Arguments.of(DType.Q8_0, 0.0), Arguments.of(DType.Q4_0, 0.0), Arguments.of(DType.Q4_K, 0.0),
        Arguments.of(DType.IQ4_NL, 0.0), Arguments.of(DType.IQ2_XXS, 0.0), Arguments.of(DType.BF16, 0.0),
    )

    @ParameterizedTest
    @MethodSource("vulkanTypes")
    fun `a model converted like stable-diffusion cpp generates on lavapipe close to its f16 original`(type: DType, minPsnr: Double) {
        val psnr = psnrAgainstF16(type, "Vulkan0")
        assertTrue(psnr >= minPsnr, "$type: PSNR $psnr dB below $minPsnr")
    }
}
