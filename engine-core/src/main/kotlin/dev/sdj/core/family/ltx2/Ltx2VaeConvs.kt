package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights

/**
 * The channels of one half of the LTX-2 video VAE's 3-D convolutions (`<conv>.conv.weight` stored [3, 3, 3, Cin·Cout],
 * `<conv>.conv.bias` [Cout]), read from the weights: what the decoder's and the encoder's dimensions are built from.
 *
 * @param w the half's weights (`decoder.*` or `encoder.*` of the VAE)
 * @param half `decoder` or `encoder`, as messages name the tensors
 * @param blocks the half's level list, `up_blocks` or `down_blocks`
 */
internal class Ltx2VaeConvs(private val w: Weights, private val half: String, private val blocks: String) {
    /** The convolution that reads the output of the level before `[blocks].[i]`. */
    fun next(i: Int): String = when {
        w.has("$blocks.$i.res_blocks.0.conv1.conv.weight") -> "$blocks.$i.res_blocks.0.conv1"
        w.has("$blocks.$i.conv.conv.weight") -> "$blocks.$i.conv"
        else -> "conv_out"
    }

    /** How many residual blocks the level [block] has, each of whose two convolutions keeps the level's [channels]. */
    fun residualBlocks(block: String, channels: Long): Int {
        val blocks = generateSequence(0) { it + 1 }.takeWhile { w.has("$block.res_blocks.$it.conv1.conv.weight") }.count()
        for (j in 0 until blocks) for (conv in listOf("conv1", "conv2")) {
            val name = "$block.res_blocks.$j.$conv"
            require(inputs(name) == channels && outputs(name) == channels) {
                "$half.$name maps ${inputs(name)} to ${outputs(name)} channels; the level runs at $channels"
            }
        }
        return blocks
    }

    fun outputs(conv: String): Long {
        val name = "$conv.conv.bias"
        require(w.has(name)) { "the LTX-2 $half has no '$half.$name'" }
        return w.get(name).ne(0)
    }

    fun inputs(conv: String): Long {
        val name = "$conv.conv.weight"
        require(w.has(name)) { "the LTX-2 $half has no '$half.$name'" }
        val k = w.get(name)
        require(k.ne(0) == KERNEL && k.ne(1) == KERNEL && k.ne(2) == KERNEL) { "'$half.$name' is not a 3×3×3 kernel: $k" }
        val out = outputs(conv)
        require(k.ne(3) % out == 0L) { "'$half.$name' ($k) does not hold $out output channels" }
        return k.ne(3) / out
    }

    private companion object {
        const val KERNEL = 3L
    }
}
