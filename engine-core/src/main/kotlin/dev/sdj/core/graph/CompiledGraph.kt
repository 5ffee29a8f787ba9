package dev.sdj.core.graph

import dev.sdj.core.memory.LedgerRecord
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.ggml.Backend
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Graph
import dev.sdj.ggml.GraphAllocator
import dev.sdj.ggml.Tensor

/**
 * A graph built once for fixed input shapes, with its compute buffer allocated on one buffer type, run as often as
 * needed (every denoising step reuses the same graph and memory; only the inputs change).
 */
class CompiledGraph @JvmOverloads constructor(
    ggml: Ggml,
    bufferType: BufferType,
    maxNodes: Int = DEFAULT_NODES,
    /** Where the compute buffer is recorded, and under what name; null for graphs outside the engine's accounting. */
    ledger: Pair<MemoryLedger, String>? = null,
    /** false: only measure the compute buffer ([measure]); the graph cannot run. */
    allocate: Boolean = true,
    /** How the graph's attention is computed. */
    private val attention: Attention = NaiveAttention,
    /** How the graph's 2-D convolutions are computed. */
    private val convolution: Convolution = Im2colConvolution,
    build: (Builder) -> Tensor,
) : AutoCloseable {
    private val ctx: GgmlContext = ggml.newContext(maxNodes, maxNodes)
    private val allocator = GraphAllocator(ggml, bufferType)
    private val graph: Graph
    private val inputs = LinkedHashMap<String, Tensor>()
    val output: Tensor

    /** Bytes of the compute buffer this graph needs, as ggml's allocator measured it. */
    val computeBytes: Long
    private var record: LedgerRecord? = null
    private var measured: Long = 0

    /** Declares inputs while the graph is built. */
    inner class Builder {
        val nn = Nn(ctx, attention, convolution)
        internal val alsoComputed = ArrayList<Tensor>()

        /**
         * Nodes the output does not depend on that must run all the same: copies into slices of a tensor created
         * without an op (a stack of per-layer states written as the layers run, without a second copy of the whole
         * stack at the end). They enter the graph in the order given, each right after its own ancestors and before
         * the rest of the output's, so a copy runs as soon as its source is computed, while that source's memory is
         * still its own, and before anything that reads the stack.
         */
        fun alsoCompute(t: Tensor) {
            alsoComputed.add(t)
        }

        fun input(name: String, type: dev.sdj.ggml.GgmlType, vararg shape: Long): Tensor {
            require(name !in inputs) { "input '$name' declared twice" }
            return ctx.newTensor(type, *shape).name(name).asInput().also { inputs[name] = it }
        }
    }

    init {
        try {
            val builder = Builder()
            output = build(builder).asOutput()
            graph = ctx.graph(maxNodes, *builder.alsoComputed.toTypedArray(), output)
            if (allocate) {
                allocator.allocate(graph)
                computeBytes = allocator.bufferBytes()
                record = ledger?.let { (l, owner) -> l.record(bufferType.name(), computeBytes, owner) }
            } else {
                measured = allocator.measure(graph)
                computeBytes = 0
            }
        } catch (e: Throwable) {
            close()
            throw e
        }
    }

    fun input(name: String): Tensor = inputs[name] ?: throw NoSuchElementException("graph has no input '$name'")

    /** How [run] computes the graph; the scheduler sets it, e.g. to stream weights between slices. */
    var executor: GraphExecutor = GraphExecutor.WHOLE

    /** Computes the graph with the inputs as last set, and returns the output as floats. */
    fun run(backend: Backend): FloatArray {
        executor.compute(graph, backend)
        return output.getFloats()
    }

    override fun close() {
        allocator.close()
        record?.close()
        ctx.close()
    }

    companion object {
        const val DEFAULT_NODES = 16384

        /**
         * The compute-buffer bytes a graph would need on [bufferType], measured by ggml's allocator without allocating
         * it. The graph's weights must already have memory (any memory: they are not read).
         */
        fun measure(ggml: Ggml, bufferType: BufferType, maxNodes: Int = DEFAULT_NODES, attention: Attention = NaiveAttention,
                    convolution: Convolution = Im2colConvolution, build: (Builder) -> Tensor): Long {
            val probe = CompiledGraph(ggml, bufferType, maxNodes, null, allocate = false, attention = attention,
                convolution = convolution, build = build)
            probe.use { return it.measured }
        }
    }
}
