package dev.sdj.core.family.clip

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.ggml.GgmlType

/**
 * A CLIP text model in float64 after Hugging Face's CLIPTextTransformer and OpenCLIP's TextTransformer (encode_text),
 * and random weights for one in Hugging Face naming, for the SDXL tests.
 */
object ClipReference64 {
    /**
     * Random weights for a text model under "text_model." of [layers] layers [hidden] wide (MLP 4×), [vocab] tokens and
     * [positions] positions; with [projection] > 0 also a projection to that width beside it, as `text_projection`
     * (OpenCLIP's [in, out] matrix, ggml [out, in]) when [openClipProjection], else as `text_projection.weight`
     * (Hugging Face's Linear, ggml [in, out]), stored as [projectionType].
     */
    fun weights(w: RandomWeights, hidden: Int, layers: Int, vocab: Int, positions: Int, projection: Int = 0,
                openClipProjection: Boolean = true, projectionType: GgmlType = GgmlType.F32): RandomWeights {
        val t = "text_model"
        w.add("$t.embeddings.token_embedding.weight", hidden, vocab, std = 1.0)
        w.add("$t.embeddings.position_embedding.weight", hidden, positions, std = 0.5)
        for (i in 0 until layers) {
            val l = "$t.encoder.layers.$i"
            for (norm in listOf("layer_norm1", "layer_norm2")) layerNorm(w, "$l.$norm", hidden)
            for (p in listOf("q_proj", "k_proj", "v_proj", "out_proj")) w.add("$l.self_attn.$p.weight", hidden, hidden).add("$l.self_attn.$p.bias", hidden)
            w.add("$l.mlp.fc1.weight", hidden, 4 * hidden).add("$l.mlp.fc1.bias", 4 * hidden)
            w.add("$l.mlp.fc2.weight", 4 * hidden, hidden).add("$l.mlp.fc2.bias", hidden)
        }
        layerNorm(w, "$t.final_layer_norm", hidden)
        if (projection > 0) {
            if (openClipProjection) w.add("text_projection", projection, hidden, type = projectionType, std = 1.0 / Math.sqrt(hidden.toDouble()))
            else w.add("text_projection.weight", hidden, projection, type = projectionType)
        }
        return w
    }

    private fun layerNorm(w: RandomWeights, name: String, width: Int) {
        w.set("$name.weight", Nd.random(java.util.Random(name.hashCode().toLong()), 0.1, width).map { 1 + it })
        w.add("$name.bias", width)
    }

    /** Embeddings then every layer's output: element k is the output of layer k − 1 (0: the embeddings). */
    fun layerOutputs(w: Weights64, ids: IntArray, quickGelu: Boolean): List<Nd> {
        val table = w.get("embeddings.token_embedding.weight")
        val pos = w.get("embeddings.position_embedding.weight")
        val hidden = table.ne(0)
        var x = Nd(hidden, ids.size, 1)
        for ((t, id) in ids.withIndex()) for (c in 0 until hidden) x.d[c + hidden * t] = table.d[c + hidden * id] + pos.d[c + hidden * t]
        val heads = if (hidden % 64 == 0) hidden / 64 else 1
        val out = arrayListOf(x)
        var i = 0
        while (w.has("encoder.layers.$i.layer_norm1.weight")) {
            x = layer(w.at("encoder.layers.${i++}"), x, quickGelu, heads)
            out.add(x)
        }
        return out
    }

    /** CLIPEncoderLayer: pre-norm causal self-attention with biased projections, then a pre-norm MLP. */
    fun layer(w: Weights64, x: Nd, quickGelu: Boolean, heads: Int): Nd {
        var n = R.layerNorm(x, w.at("layer_norm1"))
        val (q, k, v) = listOf("q_proj", "k_proj", "v_proj").map { R.linear(n, w.at("self_attn.$it")) }
        val h = x + R.linear(R.attention(q, k, v, heads, causal = true), w.at("self_attn.out_proj"))
        n = R.layerNorm(h, w.at("layer_norm2"))
        val up = R.linear(n, w.at("mlp.fc1"))
        return h + R.linear(if (quickGelu) R.quickGelu(up) else R.gelu(up), w.at("mlp.fc2"))
    }

    /**
     * OpenCLIP's pooled text embedding: ln_final(last layer)[argmax(ids)] @ text_projection, or Hugging Face's
     * text_projection(pooled) Linear; [root] holds the text model under "text_model." and the projection beside it.
     */
    fun pooled(root: Weights64, ids: IntArray, quickGelu: Boolean): Nd {
        val w = root.at("text_model")
        val last = R.layerNorm(layerOutputs(w, ids, quickGelu).last(), w.at("final_layer_norm"))
        val hidden = last.ne(0)
        val eos = ids.indices.maxByOrNull { ids[it] }!!         // the first of the largest ids, as torch.argmax
        val x = Nd(hidden, 1).also { for (c in 0 until hidden) it.d[c] = last.d[c + hidden * eos] }
        if (root.has("text_projection.weight")) return R.linear(x, root.get("text_projection.weight"), null)
        val p = root.get("text_projection")                     // ggml [out, in]: element (j, i) at j + out·i
        val outWidth = p.ne(0)
        return Nd(outWidth, 1).also { y -> for (j in 0 until outWidth) for (i in 0 until hidden) y.d[j] += x.d[i] * p.d[j + outWidth * i] }
    }
}
