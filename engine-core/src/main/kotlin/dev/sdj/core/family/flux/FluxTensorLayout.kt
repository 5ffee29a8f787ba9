package dev.sdj.core.family.flux

import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.family.sd.SdTensorLayout
import dev.sdj.core.model.ComponentKind

/**
 * Every parameter tensor of a Flux.1 model with its PyTorch shape, under the names the engine reads: Black Forest
 * Labs' for the DiT, Hugging Face's for T5 and CLIP-L, LDM's for the autoencoder (which, unlike SD's, has no
 * quant_conv/post_quant_conv).
 */
class FluxTensorLayout(private val arch: FluxArchitecture) {
    class Entry(val name: String, val torchShape: List<Long>) {
        /** Norm scales start around 1 in a random model; everything else around 0. */
        val isNormScale: Boolean get() = torchShape.size == 1 && (name.endsWith(".scale") || name.endsWith(".weight"))
    }

    private class Walk(val out: MutableList<Entry> = ArrayList(), val prefix: String = "") {
        fun at(part: String) = Walk(out, if (prefix.isEmpty()) part else "$prefix.$part")
        fun add(name: String, vararg shape: Int) {
            out.add(Entry(if (prefix.isEmpty()) name else "$prefix.$name", shape.map { it.toLong() }))
        }
        fun linear(name: String, outF: Int, inF: Int, bias: Boolean = true) {
            add("$name.weight", outF, inF)
            if (bias) add("$name.bias", outF)
        }
    }

    val components: Map<ComponentKind, List<Entry>> by lazy {
        linkedMapOf(
            ComponentKind.DIFFUSION_MODEL to dit(),
            ComponentKind.TEXT_ENCODER to sd.clip().map { Entry(it.ldm, it.torchShape) },
            ComponentKind.TEXT_ENCODER_2 to t5(),
            ComponentKind.VAE to vaeNames.map { Entry(it.ldm, it.torchShape) },
        )
    }

    /** The autoencoder's tensors in LDM's and diffusers' names, with each one's shape there. */
    val vaeNames: List<SdTensorLayout.Entry> by lazy { sd.vae().filter { !it.ldm.contains("quant_conv") } }

    private val sd = SdTensorLayout(SdArchitecture(unet = SdArchitecture.Unet(modelChannels = 32, contextDim = 32), vae = arch.vae, clip = arch.clip))

    private fun dit(): List<Entry> {
        val d = arch.dit
        val h = d.hidden
        val w = Walk()
        w.linear("img_in", h, d.patchChannels)
        w.linear("txt_in", h, arch.t5.dModel)
        for (embedder in listOfNotNull("time_in", "vector_in", "guidance_in".takeIf { d.guidance })) {
            w.linear("$embedder.in_layer", h, if (embedder == "vector_in") arch.clip.hidden else TIMESTEP_FEATURES)
            w.linear("$embedder.out_layer", h, h)
        }
        for (i in 0 until d.doubleBlocks) {
            val b = w.at("double_blocks.$i")
            for (stream in listOf("img", "txt")) {
                b.linear("${stream}_mod.lin", 6 * h, h)
                b.linear("${stream}_attn.qkv", 3 * h, h)
                b.add("${stream}_attn.norm.query_norm.scale", d.headDim)
                b.add("${stream}_attn.norm.key_norm.scale", d.headDim)
                b.linear("${stream}_attn.proj", h, h)
                b.linear("${stream}_mlp.0", d.mlp, h)
                b.linear("${stream}_mlp.2", h, d.mlp)
            }
        }
        for (i in 0 until d.singleBlocks) {
            val b = w.at("single_blocks.$i")
            b.linear("linear1", 3 * h + d.mlp, h)
            b.linear("linear2", h, h + d.mlp)
            b.add("norm.query_norm.scale", d.headDim)
            b.add("norm.key_norm.scale", d.headDim)
            b.linear("modulation.lin", 3 * h, h)
        }
        w.linear("final_layer.linear", d.patchChannels, h)
        w.linear("final_layer.adaLN_modulation.1", 2 * h, h)
        return w.out
    }

    private fun t5(): List<Entry> {
        val t = arch.t5
        val inner = t.heads * t.dKv
        val w = Walk()
        w.add("shared.weight", t.vocabSize, t.dModel)
        for (i in 0 until t.layers) {
            val b = w.at("encoder.block.$i.layer")
            for (p in listOf("q", "k", "v")) b.linear("0.SelfAttention.$p", inner, t.dModel, bias = false)
            b.linear("0.SelfAttention.o", t.dModel, inner, bias = false)
            if (i == 0) b.add("0.SelfAttention.relative_attention_bias.weight", t.buckets, t.heads)
            b.add("0.layer_norm.weight", t.dModel)
            b.linear("1.DenseReluDense.wi_0", t.ff, t.dModel, bias = false)
            b.linear("1.DenseReluDense.wi_1", t.ff, t.dModel, bias = false)
            b.linear("1.DenseReluDense.wo", t.dModel, t.ff, bias = false)
            b.add("1.layer_norm.weight", t.dModel)
        }
        w.add("encoder.final_layer_norm.weight", t.dModel)
        return w.out
    }

    companion object {
        /** Width of the sinusoidal features timestep and guidance embedders read. */
        const val TIMESTEP_FEATURES = 256
    }
}
