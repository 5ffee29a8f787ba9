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

    /**
     * The low-rank LoRA terms added to every product with weight [name] (LoRAs applied as graph ops rather than merged
     * into the weight); [Nn.linear] and [Nn.conv2d] apply them, so model code reads its weights the same either way.
     */
    fun lowRank(name: String): List<LowRankTerm> = emptyList()

    /** The weights under "[prefix]." as if they were top-level. */
    fun at(prefix: String): Weights = ScopedWeights(this, prefix)
}

/**
 * A LoRA applied as graph ops to one weight W: y = W·x + factor · up·(down·x). For a linear layer down is [in, rank]
 * and up [rank, out] (ggml order); for a convolution (LoCon) down is a kernel [KW, KH, Cin, rank] convolved like W
 * and up a 1×1 kernel [1, 1, rank, Cout].
 */
class LowRankTerm(val down: Tensor, val up: Tensor, val factor: Float)

/**
 * Names the parameter tensors of a [LowRankTerm]: the LoRA's down and up matrices, and the factor of their product.
 * [source] names what they were read from (a LoRA file): the tensors of one source are loaded and freed together,
 * apart from the weights they adapt, so changing the set of sources moves only theirs.
 */
data class LowRankAdapter(val down: String, val up: String, val factor: Float, val source: String = "")

private class ScopedWeights(private val parent: Weights, private val prefix: String) : Weights {
    override fun get(name: String): Tensor = parent.get("$prefix.$name")
    override fun has(name: String): Boolean = parent.has("$prefix.$name")
    override fun lowRank(name: String): List<LowRankTerm> = parent.lowRank("$prefix.$name")
    override fun at(prefix: String): Weights = ScopedWeights(parent, "${this.prefix}.$prefix")
}

/**
 * Weights from a name → tensor map (one or several parameter buffers), with the [adapters] of the weights LoRAs
 * adapt as graph ops, whose tensors are in the map too.
 */
class MapWeights(private val tensors: Map<String, Tensor>, private val adapters: Map<String, List<LowRankAdapter>> = emptyMap()) : Weights {
    override fun get(name: String): Tensor = tensors[name] ?: throw NoSuchElementException("no weight '$name'")
    override fun has(name: String): Boolean = name in tensors
    override fun lowRank(name: String): List<LowRankTerm> = adapters[name].orEmpty().map { LowRankTerm(get(it.down), get(it.up), it.factor) }
}
