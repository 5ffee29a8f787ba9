package dev.sdj.core.bench

import dev.sdj.api.EngineConfig
import dev.sdj.core.family.ltx2.Ltx2TextShapes
import dev.sdj.core.family.ltx2.TinyLtx2Text
import dev.sdj.core.model.DType
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * LTX-2.3's conditioner with random weights at full size, as the files people run it from: Gemma-3 12B as a
 * llama.cpp GGUF quantized to [gemmaType] (its vocabulary, generated, in the metadata), the two connectors as the DiT
 * checkpoint holds them and the text-embedding projections as their own download, both bf16 as released. Each file is
 * written once, atomically, and kept, so an interrupted prepare resumes where it stopped.
 */
object Ltx2TextBenchModel {
    val CONNECTOR_TYPE = DType.BF16

    /** How the weights are stored, for reports. */
    fun weights(gemmaType: DType): String = "${gemmaType.name} Gemma-3 12B, ${CONNECTOR_TYPE.name.lowercase()} connectors"

    /** Writes what is missing of the conditioner into [dir] and returns the configuration that opens it. */
    fun prepare(dir: Path, gemmaType: DType): EngineConfig {
        Files.createDirectories(dir)
        // Sampled blocks: quantizing 11.8 billion random values one by one would take most of an hour on two cores.
        val model = TinyLtx2Text(Ltx2TextShapes.LTX_2_3, seed = 1, gemmaType = gemmaType, connectorType = CONNECTOR_TYPE, sampledBlocks = true)
        val files = listOf(
            dir.resolve("gemma-3-12b-random-${gemmaType.name}.gguf") to model::writeGemmaGguf,
            dir.resolve(TinyLtx2Text.CONNECTORS_FILE) to model::writeConnectors,
            dir.resolve(TinyLtx2Text.PROJECTIONS_FILE) to model::writeProjections,
        ).map { (path, write) -> path.also { if (!Files.isRegularFile(it)) write(it) } }
        return EngineConfig(files, Optional.empty(), Optional.empty())
    }
}
