package dev.sdj.core.lora

import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.family.sd.SdTensorLayout
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Path
import kotlin.random.Random

/**
 * Random LoRAs for a tiny SD model with the key names real files use: every UNet transformer projection, the first
 * resnet's 3×3 convolutions (LoCon) and the text encoder's attention and MLP layers.
 */
class TinyLoras(private val arch: SdArchitecture) {

    enum class Format {
        /** kohya SD 1.x: `lora_unet_` + diffusers name, `lora_te_` + Hugging Face name, underscored, with alpha. */
        KOHYA_DIFFUSERS,
        /** kohya SDXL-style: `lora_unet_` + LDM name, `lora_te1_` + Hugging Face name, with alpha. */
        KOHYA_LDM,
        /** diffusers/PEFT: `unet.` + diffusers name, `text_encoder.` + Hugging Face name, lora_A/lora_B, f16, no alpha. */
        PEFT,
    }

    /** One generated layer: its key in the file, the canonical weight it adapts, and its values in PyTorch layout. */
    class Layer(val key: String, val target: LoraTarget, val up: FloatArray, val down: FloatArray, val rank: Int, val alpha: Float?)

    private val layout = SdTensorLayout(arch)

    private fun adapted(): List<Pair<ComponentKind, SdTensorLayout.Entry>> {
        val unet = layout.unet().filter { e ->
            e.ldm.endsWith(".weight") && e.torchShape.size >= 2 &&
                (e.ldm.contains(".transformer_blocks.") || e.ldm.contains("proj_in") || e.ldm.contains("proj_out") ||
                    e.ldm.startsWith("input_blocks.1.0.in_layers.2") || e.ldm.startsWith("output_blocks.0.0.out_layers.3"))
        }
        val text = layout.clip().filter { e -> e.ldm.endsWith(".weight") && (e.ldm.contains("self_attn.") || e.ldm.contains("mlp.")) }
        return unet.map { ComponentKind.DIFFUSION_MODEL to it } + text.map { ComponentKind.TEXT_ENCODER to it }
    }

    /** Writes a LoRA of [rank] in [format] to [path] (GGUF when its name ends in .gguf, else safetensors); returns its layers. */
    fun write(path: Path, format: Format, rank: Int = 3, seed: Long = 7, alpha: Float = 2f): List<Layer> {
        val random = Random(seed)
        val layers = adapted().map { (kind, e) ->
            val out = e.torchShape[0].toInt()
            val cols = (e.torchShape.drop(1).fold(1L) { a, b -> a * b }).toInt()
            val up = FloatArray(out * rank) { (random.nextFloat() - 0.5f) * 0.2f }
            val down = FloatArray(rank * cols) { (random.nextFloat() - 0.5f) * 0.2f }
            val weight = e.ldm.removeSuffix(".weight")
            val key = when (format) {
                Format.KOHYA_DIFFUSERS -> (if (kind == ComponentKind.TEXT_ENCODER) "lora_te_$weight" else "lora_unet_" + e.diffusers.removeSuffix(".weight")).replace('.', '_')
                Format.KOHYA_LDM -> (if (kind == ComponentKind.TEXT_ENCODER) "lora_te1_$weight" else "lora_unet_$weight").replace('.', '_')
                Format.PEFT -> if (kind == ComponentKind.TEXT_ENCODER) "text_encoder.$weight" else "unet." + e.diffusers.removeSuffix(".weight")
            }
            Layer(key, LoraTarget(kind, e.ldm), up, down, rank, if (format == Format.PEFT) null else alpha) to e.torchShape
        }
        val tensors = ArrayList<Triple<String, Pair<DType, List<Long>>, TensorData>>()
        val type = if (format == Format.PEFT) DType.F16 else DType.F32
        val (downSuffix, upSuffix) = if (format == Format.PEFT) ".lora_A.weight" to ".lora_B.weight" else ".lora_down.weight" to ".lora_up.weight"
        for ((layer, torchShape) in layers) {
            val conv = torchShape.size == 4
            val downShape = listOf(rank.toLong()) + torchShape.drop(1)
            val upShape = if (conv) listOf(torchShape[0], rank.toLong(), 1L, 1L) else listOf(torchShape[0], rank.toLong())
            tensors.add(Triple(layer.key + downSuffix, type to downShape.reversed(), data(layer.down, type)))
            tensors.add(Triple(layer.key + upSuffix, type to upShape.reversed(), data(layer.up, type)))
            layer.alpha?.let { tensors.add(Triple(layer.key + ".alpha", DType.F32 to listOf(1L), data(floatArrayOf(it), DType.F32))) }
        }
        if (path.fileName.toString().endsWith(".gguf")) {
            val writer = GgufWriter()
            for ((name, typed, bytes) in tensors) writer.addTensor(name, typed.first, typed.second, bytes)
            writer.write(path)
        } else {
            val writer = SafetensorsWriter()
            for ((name, typed, bytes) in tensors) writer.addTensor(name, typed.first, typed.second, bytes)
            writer.write(path)
        }
        return layers.map { it.first }
    }

    /**
     * Writes a random LyCORIS file of [kind] over the same layers in kohya's SD 1.x naming to [path] (safetensors), in
     * f32 with [alpha]: a LoHa of [rank] (hada_w1_a, hada_w1_b, hada_w2_a, hada_w2_b), or a LoKr whose first factor
     * is whole (2 × 2 where the weight's dimensions are even, else 1 × 1) and whose second is of [rank]
     * (lokr_w1, lokr_w2_a, lokr_w2_b).
     */
    fun writeLycoris(path: Path, kind: LycorisLayer.Kind, rank: Int = 2, seed: Long = 5, alpha: Float = 1f) {
        val random = Random(seed)
        val writer = SafetensorsWriter()
        fun add(name: String, vararg torchShape: Long) {
            val count = torchShape.fold(1L) { a, b -> a * b }.toInt()
            writer.addTensor(name, DType.F32, torchShape.reversed(), data(FloatArray(count) { (random.nextFloat() - 0.5f) * 0.2f }, DType.F32))
        }
        for ((component, e) in adapted()) {
            val key = (if (component == ComponentKind.TEXT_ENCODER) "lora_te_" + e.ldm.removeSuffix(".weight")
                else "lora_unet_" + e.diffusers.removeSuffix(".weight")).replace('.', '_')
            val out = e.torchShape[0]
            val inputs = e.torchShape[1]
            val kernel = e.torchShape.drop(2).toLongArray()
            when (kind) {
                LycorisLayer.Kind.LOHA -> for (i in 1..2) {
                    add("$key.hada_w${i}_a", out, rank.toLong())
                    add("$key.hada_w${i}_b", rank.toLong(), inputs, *kernel)
                }
                LycorisLayer.Kind.LOKR -> {
                    val f = if (out % 2 == 0L) 2L else 1L
                    val g = if (inputs % 2 == 0L) 2L else 1L
                    add("$key.lokr_w1", f, g)
                    add("$key.lokr_w2_a", out / f, rank.toLong())
                    add("$key.lokr_w2_b", rank.toLong(), inputs / g, *kernel)
                }
            }
            writer.addTensor("$key.alpha", DType.F32, listOf(1L), data(floatArrayOf(alpha), DType.F32))
        }
        writer.write(path)
    }

    /** What f16 storage keeps of [values]: the merge must be compared with what the file holds. */
    fun stored(values: FloatArray, format: Format): FloatArray =
        if (format == Format.PEFT) FloatArray(values.size) { HalfFloat.toFloat(HalfFloat.fromFloat(values[it])) } else values

    private fun data(values: FloatArray, type: DType): TensorData {
        val b = ByteBuffer.allocate(values.size * (if (type == DType.F16) 2 else 4)).order(ByteOrder.LITTLE_ENDIAN)
        for (v in values) if (type == DType.F16) b.putShort(HalfFloat.fromFloat(v)) else b.putFloat(v)
        return TensorData.of(b.flip())
    }
}
