package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path

/** Long prompts: planned with their real context, capped, and cancellable chunk by chunk; decoding cancellable too. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PromptLengthTest {
    private val dir: Path = Files.createTempDirectory("sdj-prompt-length")
    private val engine = SdjEngine(EngineConfig.of(DefaultModel.path(dir)))

    @AfterAll
    fun cleanUp() {
        engine.close()
        dir.toFile().deleteRecursively()
    }

    /** A prompt of [chunks] full 75-token chunks: every word of the tiny vocabulary's alphabet is one token. */
    private fun prompt(chunks: Int) = List(chunks * 75) { "a" }.joinToString(" ")

    private fun request(prompt: String) =
        GenerationRequest.builder(prompt).size(32, 32).steps(1).device("CPU").threads(2).placement("resident")

    @Test
    fun `a long prompt is planned with its real context and peaks where the plan says`() {
        val short = engine.plan(request("a").build())
        val long = engine.plan(request(prompt(6)).build())
        assertTrue(long.computeBytes().getValue("unet") > short.computeBytes().getValue("unet"),
            "six chunks of context need more UNet compute than one: ${long.computeBytes()} vs ${short.computeBytes()}")
        val result = engine.generate(request(prompt(6)).build())
        assertEquals(result.placement().peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted peak = ledger peak")
    }

    @Test
    fun `a prompt over the chunk cap is refused naming the limit`() {
        val e = assertThrows(InvalidRequestException::class.java) { engine.plan(request(prompt(17)).build()) }
        assertTrue(e.message!!.contains("limit is 16"), e.message)
        val chars = assertThrows(InvalidRequestException::class.java) { engine.generate(request(" ".repeat(20_001)).build()) }
        assertTrue(chars.message!!.contains("20000"), chars.message)
    }

    @Test
    fun `text encoding stops at the chunk it was cancelled in`() {
        val cancel = CancellationToken()
        val seen = ArrayList<Pair<Int, Int>>()
        assertThrows(GenerationCancelledException::class.java) {
            engine.generate(request(prompt(4)).negativePrompt("fog").build(), { phase, step, total ->
                if (phase == "text encoding") {
                    seen.add(step to total)
                    if (step == 1) cancel.cancel()
                }
            }, cancel)
        }
        assertEquals(listOf(0 to 8, 1 to 8), seen, "four chunks for each of two prompts, stopped after the first")
    }

    @Test
    fun `decoding is cancellable`() {
        val cancel = CancellationToken()
        val e = assertThrows(GenerationCancelledException::class.java) {
            engine.generate(request("a").build(), { phase, _, _ -> if (phase == "decoding") cancel.cancel() }, cancel)
        }
        assertEquals(1, e.completedSteps())
    }
}
