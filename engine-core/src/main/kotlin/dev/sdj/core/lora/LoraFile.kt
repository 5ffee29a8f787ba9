package dev.sdj.core.lora

import dev.sdj.api.ModelFileException
import dev.sdj.core.memory.ElementConversion
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.GgmlType
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * A LoRA file read whole into f32 matrices (LoRAs are small: rank × (in + out) values per layer), its tensors grouped
 * into layers by their suffixes: kohya/A1111 `.lora_down`/`.lora_up`, diffusers `_lora.down`/`_lora.up` and
 * `.lora.down`/`.lora.up`, PEFT `.lora_A`/`.lora_B`, `.lora_linear_layer.down`/`.up`, each with an optional
 * `.alpha` or `.scale` beside it, into [layers]; LyCORIS LoHa and LoKr layers into [lycoris] ([LycorisLayers]).
 * What fits none of them (Tucker mid tensors of LoRAs, bias diffs, DoRA scales) is listed in [unused].
 */
class LoraFile private constructor(val path: Path, val layers: List<LoraLayer>, val lycoris: List<LycorisLayer>, val unused: List<String>) {
    /** Every layer, low-rank and LyCORIS. */
    val deltas: List<LoraDelta> get() = layers + lycoris

    companion object {
        /** (down, up) suffixes, as stable-diffusion.cpp recognises them. */
        private val SUFFIXES = listOf(
            ".lora_down.weight" to ".lora_up.weight",
            "_lora.down.weight" to "_lora.up.weight",
            ".lora_A.weight" to ".lora_B.weight",
            ".lora.down.weight" to ".lora.up.weight",
            ".lora_linear_layer.down.weight" to ".lora_linear_layer.up.weight",
        )

        /** Reads [path] (safetensors or GGUF); a file without a single layer of a kind it knows is refused as no LoRA. */
        fun read(path: Path): LoraFile {
            val input = ModelOpener.openFile(path, null)
            val byName = input.tensors.associate { it.second.name to it.second }
            val files = input.tensors.associate { it.second.name to it.first }
            val used = HashSet<String>()
            val layers = ArrayList<LoraLayer>()
            FileChannel.open(path, StandardOpenOption.READ).use { channel ->
                for ((name, down) in byName) {
                    val (downSuffix, upSuffix) = SUFFIXES.firstOrNull { name.endsWith(it.first) } ?: continue
                    val key = name.removeSuffix(downSuffix)
                    val up = byName[key + upSuffix] ?: continue
                    val alpha = byName["$key.alpha"]
                    val scale = byName["$key.scale"]
                    val layer = LoraLayer(key, matrix(path, channel, up), matrix(path, channel, down),
                        alpha?.let { scalar(path, channel, it) }, scale?.let { scalar(path, channel, it) },
                        TensorRef(files.getValue(up.name), up) to TensorRef(files.getValue(name), down))
                    if (layer.up.cols != layer.down.rows) {
                        throw ModelFileException(path, up.name, "up is ${layer.up.rows} × ${layer.up.cols}, but down has rank ${layer.down.rows}")
                    }
                    layers.add(layer)
                    used += listOfNotNull(name, up.name, alpha?.name, scale?.name)
                }
                val lycoris = LycorisLayers.read(path, byName.keys - used, { matrix(path, channel, byName.getValue(it)) },
                    { scalar(path, channel, byName.getValue(it)) })
                lycoris.forEach { used += it.tensors }
                if (layers.isEmpty() && lycoris.isEmpty()) {
                    throw ModelFileException(path, null, "is not a LoRA: none of its ${byName.size} tensors is a LoRA down/up pair " +
                        "(names ending in .lora_down.weight and .lora_up.weight, .lora_A.weight and .lora_B.weight, …) " +
                        "or a LyCORIS LoHa or LoKr layer (.hada_w1_a …, .lokr_w1 …)")
                }
                return LoraFile(path, layers, lycoris.map { it.layer }, byName.keys.filter { it !in used })
            }
        }

        private fun matrix(path: Path, channel: FileChannel, info: TensorInfo): LoraMatrix {
            if (info.shape.size !in 2..4) throw ModelFileException(path, info.name, "a LoRA matrix has 2 to 4 dimensions, not ${info.shape}")
            val rows = info.shape.last()
            val cols = info.elementCount / rows
            if (info.elementCount > Int.MAX_VALUE) throw ModelFileException(path, info.name, "is too large for a LoRA matrix: ${info.shape}")
            // ggml's order: a convolution kernel's width and height come first.
            val kernel = info.shape.dropLast(2).fold(1L) { a, b -> a * b }
            return LoraMatrix(rows.toInt(), cols.toInt(), values(path, channel, info), kernel.toInt())
        }

        private fun scalar(path: Path, channel: FileChannel, info: TensorInfo): Float {
            if (info.elementCount != 1L) throw ModelFileException(path, info.name, "alpha and scale are single numbers, not ${info.shape}")
            return values(path, channel, info)[0]
        }

        private fun values(path: Path, channel: FileChannel, info: TensorInfo): FloatArray {
            val bytes = ElementConversion.littleEndian(ByteBuffer.allocateDirect(Math.toIntExact(info.byteSize)))
            try {
                while (bytes.hasRemaining()) {
                    if (channel.read(bytes, info.offset + bytes.position()) < 0) throw ModelFileException(path, info.name, "the file ends inside its data")
                }
            } catch (e: IOException) {
                throw ModelFileException(path, info.name, "cannot be read: ${e.message}", e)
            }
            bytes.flip()
            val conversion = try {
                ElementConversion.between(info.type, GgmlType.F32, info.shape.firstOrNull() ?: 1)
            } catch (e: IllegalArgumentException) {
                throw ModelFileException(path, info.name, "${info.type} cannot be read as numbers", e)
            }
            val f32 = if (conversion == null) bytes else {
                val out = ElementConversion.littleEndian(ByteBuffer.allocateDirect(Math.toIntExact(info.elementCount * 4)))
                conversion.convert(bytes, out)
                out.flip()
            }
            return FloatArray(Math.toIntExact(info.elementCount)).also { f32.asFloatBuffer().get(it) }
        }
    }
}
