package dev.sdj.core.bench

import dev.sdj.api.EngineConfig
import dev.sdj.core.family.ltx2.Ltx2DitDimensions
import dev.sdj.core.family.ltx2.Ltx2VaeDimensions
import dev.sdj.core.family.ltx2.TinyLtx2Dit
import dev.sdj.core.family.ltx2.TinyLtx2Vae
import dev.sdj.core.model.DType
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * LTX-2.3 text-to-video with random weights at full size: [Ltx2TextBenchModel]'s conditioner files, the 48-block
 * audio-video DiT as a GGUF quantized to the same type as Gemma (as the quantized DiT downloads come), and the video
 * VAE's decoder at its real channel counts, bf16 as released. Files already in the folder are kept, so the conditioner
 * written for `ltx2-text` serves here too.
 */
object Ltx2BenchModel {
    val VAE_TYPE = DType.BF16

    /** How the weights are stored, for reports. */
    fun weights(type: DType): String = "${type.name} DiT and Gemma-3 12B, ${VAE_TYPE.name.lowercase()} connectors and VAE"

    fun ditFile(dir: Path, type: DType): Path = dir.resolve("ltx-2.3-22b-random-dit-${type.name}.gguf")

    fun vaeFile(dir: Path): Path = dir.resolve("ltx-2.3-random-video-vae-${VAE_TYPE.name.lowercase()}.safetensors")

    /** Writes what is missing of the model into [dir] and returns the configuration that opens it. */
    fun prepare(dir: Path, type: DType): EngineConfig {
        val text = Ltx2TextBenchModel.prepare(dir, type)
        // Sampled blocks: the DiT holds 22 billion values, too many to draw and quantize one by one.
        val dit = ditFile(dir, type).also {
            if (!Files.isRegularFile(it)) TinyLtx2Dit(Ltx2DitDimensions.LTX_2_3, type = type, sampledBlocks = true).write(it)
        }
        val vae = vaeFile(dir).also {
            if (!Files.isRegularFile(it)) TinyLtx2Vae(Ltx2VaeDimensions.LTX_2_3, convType = VAE_TYPE).write(it)
        }
        return EngineConfig(text.model() + listOf(dit, vae), Optional.empty(), Optional.empty())
    }
}
