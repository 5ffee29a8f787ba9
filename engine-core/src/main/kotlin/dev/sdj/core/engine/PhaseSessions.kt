package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.Convolution
import dev.sdj.core.graph.GraphExecutor
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Im2colConvolution
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml

/**
 * Runs each phase of a generation on a fresh backend with its graphs' compute buffers recorded in the ledger, and
 * remembers how large those buffers were. The backend is freed before the buffers (see [GraphSession]).
 */
internal class PhaseSessions(private val ggml: Ggml, private val ledger: MemoryLedger) {

    /** Compute-buffer bytes of the graphs run since [clear], by graph name. */
    val computeBytes = LinkedHashMap<String, Long>()

    fun clear() = computeBytes.clear()

    fun <T> run(device: Device, request: GenerationRequest, executors: Map<GraphKey, GraphExecutor> = emptyMap(),
                attention: Attention = NaiveAttention, convolution: Convolution = Im2colConvolution, work: (GraphSession) -> T): T {
        val session = GraphSession(ggml, device.bufferType(), ComputeBackends.open(device, request.threads().orElse(null)), ledger,
            executors, attention, convolution)
        return session.use { s ->
            work(s).also {
                ledger.state(device.bufferType().name()).holdings.filter { it.owner.startsWith(PREFIX) }
                    .forEach { computeBytes[it.owner.removePrefix(PREFIX)] = it.bytes }
            }
        }
    }

    private companion object {
        const val PREFIX = "compute: "
    }
}
