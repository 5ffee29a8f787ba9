package dev.sdj.core.graph

import dev.sdj.ggml.Backend
import dev.sdj.ggml.Graph

/**
 * How an allocated graph's nodes are computed: all at once, or in slices with other work (loading the next
 * weights) between them. Chosen by the scheduler; model code only builds graphs.
 */
fun interface GraphExecutor {
    fun compute(graph: Graph, backend: Backend)

    companion object {
        val WHOLE = GraphExecutor { graph, backend -> backend.compute(graph) }
    }
}
