package dev.sdj.core.family.sd

/**
 * Every parameter tensor of an SD1.x/SD2.x/SDXL model with its PyTorch shape, under both its canonical (LDM) name and
 * its diffusers name. One walk over the architecture produces both: LDM blocks are numbered by a running counter as
 * the original code builds them, diffusers blocks by (level, layer), so a test comparing them against the diffusers
 * renamer checks two independent derivations.
 */
class SdTensorLayout(private val arch: SdArchitecture) {

    /** One tensor; [diffusersShape] differs only where diffusers stores a 1×1 convolution as a linear layer. */
    data class Entry(val ldm: String, val diffusers: String, val torchShape: List<Long>, val diffusersShape: List<Long> = torchShape)

    /** Collects entries under a pair of name prefixes. */
    private class Walk(val out: MutableList<Entry> = ArrayList(), val ldm: String = "", val df: String = "") {
        fun at(ldmPart: String, dfPart: String) = Walk(out, join(ldm, ldmPart), join(df, dfPart))
        fun add(ldmName: String, dfName: String, vararg shape: Int) {
            out.add(Entry(join(ldm, ldmName), join(df, dfName), shape.map { it.toLong() }))
        }
        fun linear(l: String, d: String, outF: Int, inF: Int, bias: Boolean = true) {
            add("$l.weight", "$d.weight", outF, inF)
            if (bias) add("$l.bias", "$d.bias", outF)
        }
        fun conv(l: String, d: String, outC: Int, inC: Int, k: Int) {
            add("$l.weight", "$d.weight", outC, inC, k, k)
            add("$l.bias", "$d.bias", outC)
        }
        fun norm(l: String, d: String, c: Int) {
            add("$l.weight", "$d.weight", c)
            add("$l.bias", "$d.bias", c)
        }
        private fun join(a: String, b: String) = if (a.isEmpty()) b else "$a.$b"
    }

    // ---------------- UNet ----------------

    private fun resBlock(w: Walk, cin: Int, cout: Int, emb: Int) {
        w.norm("in_layers.0", "norm1", cin)
        w.conv("in_layers.2", "conv1", cout, cin, 3)
        w.linear("emb_layers.1", "time_emb_proj", cout, emb)
        w.norm("out_layers.0", "norm2", cout)
        w.conv("out_layers.3", "conv2", cout, cout, 3)
        if (cin != cout) w.conv("skip_connection", "conv_shortcut", cout, cin, 1)
    }

    /** Transformer internals are named alike in both schemes; [depth] blocks follow one another. */
    private fun transformer(w: Walk, c: Int, depth: Int) {
        val u = arch.unet
        fun same(name: String) = name to name
        w.norm("norm", "norm", c)
        if (u.linearProjection) w.linear("proj_in", "proj_in", c, c) else w.conv("proj_in", "proj_in", c, c, 1)
        for (block in 0 until depth) {
            val b = w.at("transformer_blocks.$block", "transformer_blocks.$block")
            for ((l, d) in listOf(same("attn1.to_q"), same("attn1.to_k"), same("attn1.to_v"), same("attn2.to_q"))) b.linear(l, d, c, c, bias = false)
            b.linear("attn2.to_k", "attn2.to_k", c, u.contextDim, bias = false)
            b.linear("attn2.to_v", "attn2.to_v", c, u.contextDim, bias = false)
            b.linear("attn1.to_out.0", "attn1.to_out.0", c, c)
            b.linear("attn2.to_out.0", "attn2.to_out.0", c, c)
            b.linear("ff.net.0.proj", "ff.net.0.proj", 8 * c, c)
            b.linear("ff.net.2", "ff.net.2", c, 4 * c)
            for (i in 1..3) b.norm("norm$i", "norm$i", c)
        }
        if (u.linearProjection) w.linear("proj_out", "proj_out", c, c) else w.conv("proj_out", "proj_out", c, c, 1)
    }

    fun unet(): List<Entry> {
        val u = arch.unet
        val w = Walk()
        val mc = u.modelChannels
        val emb = u.timeEmbedDim
        w.linear("time_embed.0", "time_embedding.linear_1", emb, mc)
        w.linear("time_embed.2", "time_embedding.linear_2", emb, emb)
        u.admInChannels?.let { adm ->
            w.linear("label_emb.0.0", "add_embedding.linear_1", emb, adm)
            w.linear("label_emb.0.2", "add_embedding.linear_2", emb, emb)
        }
        w.conv("input_blocks.0.0", "conv_in", mc, u.inChannels, 3)
        val skips = arrayListOf(mc)
        var ch = mc
        var block = 1
        for ((level, mult) in u.channelMult.withIndex()) {
            for (j in 0 until u.resBlocksPerLevel) {
                resBlock(w.at("input_blocks.$block.0", "down_blocks.$level.resnets.$j"), ch, mult * mc, emb)
                ch = mult * mc
                if (level in u.attentionLevels) transformer(w.at("input_blocks.$block.1", "down_blocks.$level.attentions.$j"), ch, u.depth(level))
                skips.add(ch)
                block++
            }
            if (level < u.channelMult.size - 1) {
                w.conv("input_blocks.$block.0.op", "down_blocks.$level.downsamplers.0.conv", ch, ch, 3)
                skips.add(ch)
                block++
            }
        }
        resBlock(w.at("middle_block.0", "mid_block.resnets.0"), ch, ch, emb)
        transformer(w.at("middle_block.1", "mid_block.attentions.0"), ch, u.middleDepth)
        resBlock(w.at("middle_block.2", "mid_block.resnets.1"), ch, ch, emb)
        block = 0
        for ((up, level) in u.channelMult.indices.reversed().withIndex()) {
            val cout = u.channelMult[level] * mc
            for (j in 0..u.resBlocksPerLevel) {
                resBlock(w.at("output_blocks.$block.0", "up_blocks.$up.resnets.$j"), ch + skips.removeAt(skips.size - 1), cout, emb)
                ch = cout
                var slot = 1
                if (level in u.attentionLevels) transformer(w.at("output_blocks.$block.${slot++}", "up_blocks.$up.attentions.$j"), ch, u.depth(level))
                if (level > 0 && j == u.resBlocksPerLevel) w.conv("output_blocks.$block.$slot.conv", "up_blocks.$up.upsamplers.0.conv", ch, ch, 3)
                block++
            }
        }
        w.norm("out.0", "conv_norm_out", mc)
        w.conv("out.2", "conv_out", u.outChannels, mc, 3)
        return w.out
    }

    // ---------------- VAE ----------------

    private fun vaeResBlock(w: Walk, cin: Int, cout: Int) {
        w.norm("norm1", "norm1", cin)
        w.conv("conv1", "conv1", cout, cin, 3)
        w.norm("norm2", "norm2", cout)
        w.conv("conv2", "conv2", cout, cout, 3)
        if (cin != cout) w.conv("nin_shortcut", "conv_shortcut", cout, cin, 1)
    }

    private fun vaeMid(w: Walk, c: Int) {
        vaeResBlock(w.at("block_1", "resnets.0"), c, c)
        val a = w.at("attn_1", "attentions.0")
        a.norm("norm", "group_norm", c)
        for ((l, d) in listOf("q" to "to_q", "k" to "to_k", "v" to "to_v", "proj_out" to "to_out.0")) {
            a.conv(l, d, c, c, 1)
            // diffusers keeps these as linear layers: same bytes, shape [c, c]
            val weight = a.out.size - 2
            a.out[weight] = a.out[weight].copy(diffusersShape = listOf(c.toLong(), c.toLong()))
        }
        vaeResBlock(w.at("block_2", "resnets.1"), c, c)
    }

    fun vae(): List<Entry> {
        val v = arch.vae
        val w = Walk()
        val top = v.channels * v.channelMult.last()
        val enc = w.at("encoder", "encoder")
        enc.conv("conv_in", "conv_in", v.channels, v.imageChannels, 3)
        var ch = v.channels
        for ((level, mult) in v.channelMult.withIndex()) {
            for (j in 0 until v.resBlocksPerLevel) {
                vaeResBlock(enc.at("down.$level.block.$j", "down_blocks.$level.resnets.$j"), ch, mult * v.channels)
                ch = mult * v.channels
            }
            if (level < v.channelMult.size - 1) enc.conv("down.$level.downsample.conv", "down_blocks.$level.downsamplers.0.conv", ch, ch, 3)
        }
        vaeMid(enc.at("mid", "mid_block"), top)
        enc.norm("norm_out", "conv_norm_out", top)
        enc.conv("conv_out", "conv_out", 2 * v.latentChannels, top, 3)
        w.conv("quant_conv", "quant_conv", 2 * v.latentChannels, 2 * v.latentChannels, 1)
        w.conv("post_quant_conv", "post_quant_conv", v.latentChannels, v.latentChannels, 1)
        val dec = w.at("decoder", "decoder")
        dec.conv("conv_in", "conv_in", top, v.latentChannels, 3)
        vaeMid(dec.at("mid", "mid_block"), top)
        ch = top
        for ((up, level) in v.channelMult.indices.reversed().withIndex()) {
            val cout = v.channelMult[level] * v.channels
            for (j in 0..v.resBlocksPerLevel) {
                vaeResBlock(dec.at("up.$level.block.$j", "up_blocks.$up.resnets.$j"), ch, cout)
                ch = cout
            }
            if (level > 0) dec.conv("up.$level.upsample.conv", "up_blocks.$up.upsamplers.0.conv", ch, ch, 3)
        }
        dec.norm("norm_out", "conv_norm_out", v.channels)
        dec.conv("conv_out", "conv_out", v.imageChannels, v.channels, 3)
        return w.out
    }

    // ---------------- CLIP text encoders (Hugging Face names in every layout) ----------------

    /** The (first) text encoder: CLIP-L for SD 1.x and SDXL, OpenCLIP-H for SD 2.x. */
    fun clip(): List<Entry> = clip(arch.clip)

    /**
     * SDXL's second text encoder, OpenCLIP bigG, with its text projection in Hugging Face orientation ([TEXT_PROJECTION]);
     * original checkpoints hold the transpose under [OPEN_CLIP_PROJECTION].
     */
    fun clip2(): List<Entry> {
        val c = requireNotNull(arch.clip2) { "the architecture has no second text encoder" }
        val projection = c.projection?.let { listOf(Entry(TEXT_PROJECTION, TEXT_PROJECTION, listOf(it.toLong(), c.hidden.toLong()))) }
        return clip(c) + projection.orEmpty()
    }

    private fun clip(c: SdArchitecture.Clip): List<Entry> {
        val w = Walk().at("text_model", "text_model")
        w.add("embeddings.token_embedding.weight", "embeddings.token_embedding.weight", c.vocabSize, c.hidden)
        w.add("embeddings.position_embedding.weight", "embeddings.position_embedding.weight", c.maxPositions, c.hidden)
        for (i in 0 until c.layers) {
            val l = w.at("encoder.layers.$i", "encoder.layers.$i")
            for (p in listOf("q_proj", "k_proj", "v_proj", "out_proj")) l.linear("self_attn.$p", "self_attn.$p", c.hidden, c.hidden)
            l.norm("layer_norm1", "layer_norm1", c.hidden)
            l.linear("mlp.fc1", "mlp.fc1", c.intermediate, c.hidden)
            l.linear("mlp.fc2", "mlp.fc2", c.hidden, c.intermediate)
            l.norm("layer_norm2", "layer_norm2", c.hidden)
        }
        w.norm("final_layer_norm", "final_layer_norm", c.hidden)
        return w.out
    }

    companion object {
        /** A text projection as a Hugging Face Linear: PyTorch [out, in], applied as W·x. */
        const val TEXT_PROJECTION = "text_projection.weight"

        /** OpenCLIP's text projection: PyTorch [in, out], applied as x·P — the transpose of [TEXT_PROJECTION]. */
        const val OPEN_CLIP_PROJECTION = "text_projection"
    }
}
