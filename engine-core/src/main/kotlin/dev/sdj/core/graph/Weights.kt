package dev.sdj.core.graph

import dev.sdj.ggml.Tensor

/**
 * The parameter tensors a graph builder is handed, by canonical name. Builders never know where the tensors live
 * (which device, resident or streamed): the scheduler decides that and hands them over through this interface.
 */
fun interface Weights {
    fun get(name: String): Tensor

    /** Whether a tensor of that name exists (optional parts such as a shortcut convolution). */
    fun has(name: String): Boolean = try {
        get(name)
        true
    } catch (e: NoSuchElementException) {
        false
    }

    /** The weights under "[prefix]." as if they were top-level. */
    fun at(prefix: String): Weights = ScopedWeights(this, prefix)
}

private class ScopedWeights(private val parent: Weights, private val prefix: String) : Weights {
    override fun get(name: String): Tensor = parent.get("$prefix.$name")
    override fun has(name: String): Boolean = parent.has("$prefix.$name")
    override fun at(prefix: String): Weights = ScopedWeights(parent, "${this.prefix}.$prefix")
}

/** Weights from a name → tensor map (one or several parameter buffers). */
class MapWeights(private val tensors: Map<String, Tensor>) : Weights {
    override fun get(name: String): Tensor = tensors[name] ?: throw NoSuchElementException("no weight '$name'")
    override fun has(name: String): Boolean = name in tensors
}
