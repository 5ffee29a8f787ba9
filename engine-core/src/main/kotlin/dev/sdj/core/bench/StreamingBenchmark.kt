package dev.sdj.core.bench

import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.ggml.Ggml

/**
 * How close streaming gets to its bound, in one process: time per step with every block streamed against
 * max(compute time per step, bytes uploaded per step ÷ host → device bandwidth). Compute time comes from the same
 * request without streaming (sequential), bandwidth from copying pinned host memory into the device. A ratio near 1
 * means the uploads hide behind the compute (or the compute behind the uploads); 2 means nothing overlaps.
 */
object StreamingBenchmark {

    data class Result(
        val device: String,
        val computeSecondsPerStep: Double,
        val streamedSecondsPerStep: Double,
        val uploadBytesPerStep: Long,
        val waitSecondsPerStep: Double,
        val bytesPerSecond: Double,
        val streamedPeakBytes: Long,
    ) {
        val transferSecondsPerStep: Double get() = uploadBytesPerStep / bytesPerSecond
        val ratio: Double get() = streamedSecondsPerStep / maxOf(computeSecondsPerStep, transferSecondsPerStep)
    }

    /** @param log progress lines of both runs, as [GenerationBenchmark.run] writes them */
    fun run(model: EngineConfig, size: Int, steps: Int, log: (String) -> Unit = {}, configure: (GenerationRequest.Builder) -> Unit): Result {
        val baseline = GenerationBenchmark.run(model, size, steps, { log("sequential: $it") }) { b -> configure(b); b.placement("sequential") }
        val smallest = Engine.open(model).use { engine ->
            val b = GenerationBenchmark.request(size, steps)
            configure(b)
            engine.plan(b.device(baseline.device).build()).peakByPlacement().getValue("streamed")
        }
        val streamed = GenerationBenchmark.run(model, size, steps, { log("streamed:   $it") }) { b ->
            configure(b)
            b.device(baseline.device).placement("streamed").maxDeviceMemory(smallest)
        }
        val ggml = Ggml.get()
        val device = ggml.devices().first { it.name() == baseline.device }
        return Result(baseline.device, baseline.secondsPerStep, streamed.secondsPerStep, streamed.uploadBytesPerStep,
            streamed.uploadWaitPerStep, UploadBandwidth.measure(ggml, device), streamed.peakDeviceBytes.getValue(baseline.device))
    }
}
