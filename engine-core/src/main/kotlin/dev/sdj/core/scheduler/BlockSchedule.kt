package dev.sdj.core.scheduler

import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Graph
import dev.sdj.ggml.Tensor

/**
 * An allocated graph cut into slices at the nodes where the next streamed block's weights are first read. Slice k
 * reads the weights of at most one streamed block ([block], or -1 for none) plus resident ones; computing the slices
 * in order is computing the graph. The blocks must be read in their streaming order, one after the other, each in
 * one stretch: that is what lets a ring of slots hold them.
 */
class BlockSchedule private constructor(val slices: List<Slice>, private val contexts: List<GgmlContext>) : AutoCloseable {

    class Slice(val graph: Graph, val block: Int, val nodes: Int)

    override fun close() = contexts.forEach { it.close() }

    companion object {
        /** @param streamed the streamed blocks' device tensors, in streaming order */
        fun of(ggml: Ggml, graph: Graph, streamed: List<Collection<Tensor>>): BlockSchedule {
            val blockOf = HashMap<Long, Int>()
            streamed.forEachIndexed { i, tensors -> tensors.forEach { blockOf[it.identity()] = i } }
            val starts = ArrayList<Pair<Int, Int>>()   // (first node, block)
            var current = -1
            for (i in 0 until graph.nodeCount()) {
                val node = graph.node(i)
                if (!node.computes()) continue
                val blocks = node.sourceRoots().toList().mapNotNull { blockOf[it] }.distinct()
                check(blocks.size <= 1) { "node ${node.name()} reads weights of several streamed blocks ($blocks): they cannot stream one at a time" }
                val b = blocks.singleOrNull() ?: continue
                if (b == current) continue
                check(b == current + 1) {
                    "streamed block $b is read after block $current: blocks must run once each, in order (node ${node.name()})"
                }
                starts.add((if (starts.isEmpty()) 0 else i) to b)
                current = b
            }
            check(current == streamed.size - 1) { "the graph reads only ${current + 1} of ${streamed.size} streamed blocks" }
            // Nodes before the first block's first read join its slice; nodes after the last block's join the last one.
            val contexts = ArrayList<GgmlContext>()
            val slices = ArrayList<Slice>()
            try {
                for ((k, start) in starts.withIndex()) {
                    val end = if (k + 1 < starts.size) starts[k + 1].first else graph.nodeCount()
                    val ctx = ggml.newContext(0, end - start.first).also { contexts.add(it) }
                    slices.add(Slice(graph.slice(ctx, start.first, end), start.second, end - start.first))
                }
            } catch (e: Throwable) {
                contexts.forEach { it.close() }
                throw e
            }
            return BlockSchedule(slices, contexts)
        }
    }
}
