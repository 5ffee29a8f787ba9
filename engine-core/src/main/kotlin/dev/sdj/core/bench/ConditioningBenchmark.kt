package dev.sdj.core.bench

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.engine.SdjEngine

/**
 * The time to encode one prompt with a family's conditioning phases (LTX-2's Gemma-3 and connectors) as the engine
 * places them, in one process: first with the placement the budget gives, then with every streamable block streamed,
 * each in a fresh engine so that nothing is reused. On the CPU the second run measures what streaming itself costs
 * (copies through slots) where the first holds everything.
 */
object ConditioningBenchmark {
    /**
     * One run: its placement, seconds per phase label, in all, the plan's predicted device peak and the ledger's, and
     * the bytes uploaded.
     */
    data class Trial(val placement: String, val residentBlocks: Int, val blocks: Int, val phaseSeconds: Map<String, Double>,
                     val totalSeconds: Double, val predictedPeakBytes: Long, val peakDeviceBytes: Long, val uploadedBytes: Long)

    /**
     * @param configure sets the device, threads and anything else on the request (a prompt, no guidance: one encoding)
     * @param log a line as each phase starts and ends, with the seconds since the run's start
     */
    fun run(model: EngineConfig, prompt: String, log: (String) -> Unit = {}, configure: (GenerationRequest.Builder) -> Unit): List<Trial> {
        val base = GenerationRequest.builder(prompt).cfgScale(1.0).also(configure).build()
        val smallest = SdjEngine(model).use { it.plan(base).peakByPlacement().getValue("streamed") }
        return listOf("auto" to null, "streamed" to smallest).map { (placement, cap) ->
            val request = base.toBuilder().placement(placement).also { b -> cap?.let { b.maxDeviceMemory(it) } }.build()
            SdjEngine(model).use { engine -> trial(engine, request) { log("$placement: $it") } }
        }
    }

    private fun trial(engine: SdjEngine, request: GenerationRequest, log: (String) -> Unit): Trial {
        val start = System.nanoTime()
        val began = HashMap<String, Long>()
        val seconds = LinkedHashMap<String, Double>()
        val run = engine.condition(request, { phase, step, total ->
            val now = System.nanoTime()
            if (step == 0) began[phase] = now
            if (step == total) seconds[phase] = (now - began.getValue(phase)) / 1e9
            if (step == 0 || step == total) log(String.format(java.util.Locale.ROOT, "%8.1f s  %s %d/%d", (now - start) / 1e9, phase, step, total))
        }, CancellationToken())
        val r = run.placement
        return Trial(r.placement(), r.residentBlocks(), r.blocks(), seconds, (System.nanoTime() - start) / 1e9,
            r.peakBytes(), run.peakBytes[r.device()] ?: 0L, run.uploadedBytes)
    }
}
