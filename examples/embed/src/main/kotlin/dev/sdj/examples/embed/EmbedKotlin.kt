package dev.sdj.examples.embed

import dev.sdj.api.CancellationToken
import dev.sdj.api.DeviceReport
import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ModelInspection
import dev.sdj.api.Placement
import dev.sdj.api.Sampler
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import kotlin.concurrent.thread

/**
 * sdj from Kotlin: the same engine-api, with a generation cancelled from another thread, as a UI would. Argument: the
 * PNG to write.
 */
fun main(args: Array<String>) {
    val output = Path.of(args.firstOrNull() ?: "embed-kotlin.png")
    println("devices: " + DeviceReport.current().devices().joinToString { "${it.name()} (${it.type()})" })

    // A real model: EngineConfig.builder().model(Path.of("unet.gguf"), Path.of("clip_l.safetensors"), Path.of("vae.safetensors")).build()
    val model = EngineConfig.demo()
    println("model: " + ModelInspection.of(model).familyName())

    val request = GenerationRequest.builder("a red fox in fresh snow").size(64, 64).steps(4)
        .sampler(Sampler.DPM_PP_2M).placement(Placement.AUTO).seed(11).build()
    Engine.open(model).use { engine ->
        val result = engine.generate(request, { phase, step, total -> println("  $phase $step/$total") }, CancellationToken())
        Files.write(output, result.png())
        println("wrote $output: ${result.width()}x${result.height()} in ${result.millis()} ms")

        val cancel = CancellationToken()
        val firstStep = CountDownLatch(1)
        val stopper = thread { firstStep.await(); cancel.cancel() }
        try {
            engine.generate(request.toBuilder().steps(200).build(), { phase, _, _ -> if (phase == "denoising") firstStep.countDown() }, cancel)
            error("the cancelled generation ran to the end")
        } catch (e: GenerationCancelledException) {
            println("cancelled from another thread: ${e.message}")
        } finally {
            stopper.join()
        }
    }
}
