package dev.sdj.core.graph

import dev.sdj.ggml.Backend
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.ggml.Tensor

/**
 * A backend and the graphs compiled for it during one piece of work (a generation). Closing frees the backend
 * first and the graphs' compute buffers after it: freeing a compute buffer while the Vulkan backend that used it
 * lives on corrupted lavapipe's heap (seen here: crashes in 16 of 22 runs of 50 graphs; none once the backend
 * went first).
 */
class GraphSession(
    private val ggml: Ggml,
    val bufferType: BufferType,
    val backend: Backend,
    private val ledger: MemoryLedger? = null,
    /** The executor for a graph compiled under a name, where the scheduler wants other than computing it whole. */
    private val executors: Map<GraphKey, GraphExecutor> = emptyMap(),
    /** How the graphs compiled in this session compute attention. */
    private val attention: Attention = NaiveAttention,
    /** How the graphs compiled in this session compute 2-D convolutions. */
    private val convolution: Convolution = Im2colConvolution,
) : AutoCloseable {
    private val graphs = ArrayList<CompiledGraph>()

    /** Compiles a graph whose compute buffer is recorded in the ledger as "compute: [key]". */
    fun compile(key: GraphKey, maxNodes: Int = CompiledGraph.DEFAULT_NODES, build: (CompiledGraph.Builder) -> Tensor): CompiledGraph =
        CompiledGraph(ggml, bufferType, maxNodes, ledger?.let { it to "compute: $key" }, attention = attention,
            convolution = convolution, build = build).also { g ->
            graphs.add(g)
            executors[key]?.let { g.executor = it }
        }

    fun compile(name: String, maxNodes: Int = CompiledGraph.DEFAULT_NODES, build: (CompiledGraph.Builder) -> Tensor): CompiledGraph =
        compile(GraphKey(name), maxNodes, build)

    override fun close() {
        try {
            backend.close()
        } finally {
            graphs.forEach { it.close() }
            graphs.clear()
        }
    }
}
