package dev.sdj.core.family.flux

import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Path
import kotlin.random.Random

/**
 * Random LoRAs for a tiny Flux model in the two namings files use: Black Forest Labs' (kohya's `lora_unet_…` with
 * alphas, fused qkv and linear1) and diffusers' (`transformer.…` with lora_A/lora_B, q, k, v and proj_mlp apart).
 * Both adapt the same weights: each double block's image and text qkv, image attention output and MLP input, each
 * single block's linear1 and linear2, and the final modulation; the BFL one also CLIP-L's and T5's q projections.
 */
class TinyFluxLoras(private val arch: FluxArchitecture) {
    enum class Naming { BFL, DIFFUSERS }

    /**
     * One generated layer: its key, the BFL weight (component and name) it adapts, the first of its rows there (or
     * with [swapped] all of them, halves crosswise), and its values in PyTorch layout.
     */
    class Layer(val key: String, val kind: ComponentKind, val weight: String, val firstRow: Int, val swapped: Boolean,
                val up: FloatArray, val down: FloatArray, val rank: Int, val alpha: Float?)

    private val layout = FluxTensorLayout(arch)

    private fun adapted(): List<Pair<ComponentKind, FluxTensorLayout.Entry>> {
        val dit = layout.components.getValue(ComponentKind.DIFFUSION_MODEL).filter { e ->
            e.torchShape.size == 2 && listOf(".img_attn.qkv.", ".txt_attn.qkv.", ".img_attn.proj.", ".img_mlp.0.", ".linear1.", ".linear2.",
                "final_layer.adaLN_modulation.1.").any { e.name.contains(it) } && e.name.endsWith(".weight")
        }
        val clip = layout.components.getValue(ComponentKind.TEXT_ENCODER).filter { it.name.endsWith("self_attn.q_proj.weight") }
        val t5 = layout.components.getValue(ComponentKind.TEXT_ENCODER_2).filter { it.name.endsWith("SelfAttention.q.weight") }
        return dit.map { ComponentKind.DIFFUSION_MODEL to it } + clip.map { ComponentKind.TEXT_ENCODER to it } + t5.map { ComponentKind.TEXT_ENCODER_2 to it }
    }

    /** Writes a LoRA of [rank] in [naming] to [path] as safetensors; returns its layers. */
    fun write(path: Path, naming: Naming, rank: Int = 3, seed: Long = 7, alpha: Float = 2f): List<Layer> {
        val random = Random(seed)
        fun values(n: Int) = FloatArray(n) { (random.nextFloat() - 0.5f) * 0.2f }
        val names = DiffusersFluxNames(arch.dit.hidden.toLong())
        val layers = ArrayList<Layer>()
        for ((kind, e) in adapted()) {
            val cols = e.torchShape[1].toInt()
            val base = e.name.removeSuffix(".weight")
            when {
                naming == Naming.BFL -> {
                    val prefix = mapOf(ComponentKind.DIFFUSION_MODEL to "lora_unet_", ComponentKind.TEXT_ENCODER to "lora_te1_",
                        ComponentKind.TEXT_ENCODER_2 to "lora_te3_").getValue(kind)
                    layers.add(Layer((prefix + base).replace('.', '_'), kind, e.name, 0, false, values(e.torchShape[0].toInt() * rank),
                        values(rank * cols), rank, alpha))
                }
                kind == ComponentKind.DIFFUSION_MODEL -> for (part in names.parts(e)) {
                    layers.add(Layer("transformer." + part.name.removeSuffix(".weight"), kind, e.name, part.firstRow.toInt(), part.halvesSwapped,
                        values(part.torchShape[0].toInt() * rank), values(rank * cols), rank, null))
                }
            }
        }
        val (downSuffix, upSuffix) = if (naming == Naming.BFL) ".lora_down.weight" to ".lora_up.weight" else ".lora_A.weight" to ".lora_B.weight"
        val writer = SafetensorsWriter()
        for (l in layers) {
            val cols = l.down.size / l.rank
            writer.addTensor(l.key + downSuffix, DType.F32, listOf(cols.toLong(), l.rank.toLong()), data(l.down))
            writer.addTensor(l.key + upSuffix, DType.F32, listOf(l.rank.toLong(), (l.up.size / l.rank).toLong()), data(l.up))
            l.alpha?.let { writer.addTensor(l.key + ".alpha", DType.F32, listOf(1L), data(floatArrayOf(it))) }
        }
        writer.write(path)
        return layers
    }

    private fun data(values: FloatArray): TensorData {
        val b = ByteBuffer.allocate(values.size * 4).order(ByteOrder.LITTLE_ENDIAN)
        for (v in values) b.putFloat(v)
        return TensorData.of(b.flip())
    }
}
