package dev.sdj.core.family.flux

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.GgmlType
import java.util.Random

/**
 * A tiny Flux DiT with random f32 weights in Black Forest Labs' names (torch shapes [out, in] become ggml [in, out]).
 * Linear weights are N(0, 1/fan-in), biases N(0, 0.1²), norm gains 1 + N(0, 0.1²): activations stay of order 1 and
 * every modulation (shift, scale, gate) is of order 1, so each branch moves the stream by its own size and a wrong
 * chunk, head or token order shows.
 */
class TinyFluxWeights(
    seed: Long,
    val hidden: Int = 64,
    val headDim: Int = 32,
    val mlp: Int = 4 * hidden,
    val doubleBlocks: Int = 2,
    val singleBlocks: Int = 2,
    val channels: Int = 16,
    val contextWidth: Int = 48,
    val vectorWidth: Int = 40,
    val guidance: Boolean = true,
    /** How the blocks' matrices are stored (f32, or a quantized type as GGUF checkpoints hold them); the rest is f32. */
    val blockType: GgmlType = GgmlType.F32,
) : AutoCloseable {
    val weights = RandomWeights(seed)
    val specs = ArrayList<ParamSpec>()
    private val gains = Random(seed + 1)

    init {
        linear("img_in", 4 * channels, hidden)
        linear("txt_in", contextWidth, hidden)
        embedder("time_in", 256)
        embedder("vector_in", vectorWidth)
        if (guidance) embedder("guidance_in", 256)
        for (i in 0 until doubleBlocks) for (s in listOf("img", "txt")) {
            val b = "double_blocks.$i"
            linear("$b.${s}_mod.lin", hidden, 6 * hidden)
            linear("$b.${s}_attn.qkv", hidden, 3 * hidden)
            gain("$b.${s}_attn.norm.query_norm.scale")
            gain("$b.${s}_attn.norm.key_norm.scale")
            linear("$b.${s}_attn.proj", hidden, hidden)
            linear("$b.${s}_mlp.0", hidden, mlp)
            linear("$b.${s}_mlp.2", mlp, hidden)
        }
        for (i in 0 until singleBlocks) {
            val b = "single_blocks.$i"
            linear("$b.linear1", hidden, 3 * hidden + mlp)
            linear("$b.linear2", hidden + mlp, hidden)
            gain("$b.norm.query_norm.scale")
            gain("$b.norm.key_norm.scale")
            linear("$b.modulation.lin", hidden, 3 * hidden)
        }
        linear("final_layer.linear", hidden, 4 * channels)
        linear("final_layer.adaLN_modulation.1", hidden, 2 * hidden)
    }

    private fun linear(name: String, inF: Int, outF: Int) {
        val type = if (name.contains("_blocks.")) blockType else GgmlType.F32
        weights.add("$name.weight", inF, outF, type = type)
        weights.add("$name.bias", outF)
        specs.add(ParamSpec("$name.weight", type, listOf(inF.toLong(), outF.toLong())))
        specs.add(ParamSpec("$name.bias", GgmlType.F32, listOf(outF.toLong())))
    }

    private fun embedder(name: String, inF: Int) {
        linear("$name.in_layer", inF, hidden)
        linear("$name.out_layer", hidden, hidden)
    }

    private fun gain(name: String) {
        weights.set(name, Nd.random(gains, 0.1, headDim).map { (1 + it).toFloat().toDouble() })
        specs.add(ParamSpec(name, GgmlType.F32, listOf(headDim.toLong())))
    }

    override fun close() = weights.close()
}
