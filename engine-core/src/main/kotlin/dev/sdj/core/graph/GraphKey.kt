package dev.sdj.core.graph

/**
 * The name a graph is compiled under: its compute buffer is recorded in the ledger under it, and the engine attaches
 * an executor (the streaming one) to the graph a family declares by it, not by matching strings it would have to know.
 */
@JvmInline
value class GraphKey(val name: String) {
    override fun toString() = name
}
