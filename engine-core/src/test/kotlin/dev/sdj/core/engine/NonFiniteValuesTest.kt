package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.sd.EditedTinyModel
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** NaN or infinity in a generation is an error naming the phase it appeared in, never an image. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NonFiniteValuesTest {
    @TempDir
    lateinit var dir: Path
    private val model = EditedTinyModel()

    private fun request(cfg: Double = 7.0) =
        GenerationRequest.builder("a lighthouse").size(32, 32).steps(3).cfgScale(cfg).device("CPU").threads(2).build()

    private fun failure(nanIn: String, request: GenerationRequest = request()): String {
        val file = model.write(dir.resolve("nan-${nanIn.hashCode()}.gguf"), nanFilled = setOf(nanIn).filter { it.isNotEmpty() }.toSet())
        return SdjEngine(EngineConfig.of(file)).use { e -> assertThrows(EngineException::class.java) { e.generate(request) }.message!! }
    }

    @Test
    fun `NaN text-encoder weights are reported at text encoding`() {
        val message = failure("cond_stage_model.transformer.text_model.final_layer_norm.bias")
        assertTrue(message.contains("NaN values first appeared in text encoding"), message)
    }

    @Test
    fun `NaN UNet weights are reported at the first denoising step`() {
        val message = failure("model.diffusion_model.out.2.bias")
        assertTrue(message.contains("denoising step 1 of 3"), message)
    }

    @Test
    fun `NaN VAE weights are reported at decoding`() {
        val message = failure("first_stage_model.decoder.conv_out.bias")
        assertTrue(message.contains("in decoding"), message)
    }

    @Test
    fun `an overflowing guidance scale is reported at the step it overflows`() {
        val message = failure("", request(1e30))
        assertTrue(message.contains("denoising step"), message)
    }
}
