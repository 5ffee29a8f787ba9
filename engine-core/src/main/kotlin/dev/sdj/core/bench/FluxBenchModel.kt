package dev.sdj.core.bench

import dev.sdj.api.EngineConfig
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * A Flux.1 model with random weights at a given architecture, as the separate files people run with
 * stable-diffusion.cpp: the DiT as a Q4_K GGUF (the size most community GGUFs are used at), T5-XXL as a Q8_0 GGUF
 * (its f16 file is 9.5 GB), CLIP-L and the autoencoder as f16 safetensors, and generated tokenizers for both text
 * encoders. Each file is written once, atomically, and kept, so an interrupted prepare resumes where it stopped.
 */
object FluxBenchModel {
    val DIT_TYPE = DType.Q4_K
    val T5_TYPE = DType.Q8_0

    /** How the weights are stored, for reports. */
    val WEIGHTS: String get() = "${DIT_TYPE.name} DiT, ${T5_TYPE.name} T5, f16 CLIP-L and VAE"

    /** Writes what is missing of the model into [dir] and returns the configuration that opens it. */
    fun prepare(dir: Path, arch: FluxArchitecture): EngineConfig {
        Files.createDirectories(dir)
        // Sampled blocks: quantizing 16.7 billion random values one by one takes most of an hour on two cores.
        val model = TinyFluxModel.quantized(mapOf(ComponentKind.DIFFUSION_MODEL to DIT_TYPE, ComponentKind.TEXT_ENCODER_2 to T5_TYPE), arch,
            seed = 1, sampledBlocks = true)
        val files = listOf(
            ComponentKind.DIFFUSION_MODEL to "flux1-random-${DIT_TYPE.name}.gguf",
            ComponentKind.TEXT_ENCODER to "clip_l.safetensors",
            ComponentKind.TEXT_ENCODER_2 to "t5xxl-${T5_TYPE.name}.gguf",
            ComponentKind.VAE to "ae.safetensors",
        ).map { (kind, name) ->
            dir.resolve(name).also { if (!Files.isRegularFile(it)) model.writeComponent(kind, it) }
        }
        val clipTokenizer = writeClipTokenizer(dir.resolve("clip-tokenizer"))
        val t5Tokenizer = SyntheticT5Tokenizer.write(dir.resolve("t5-tokenizer.json"))
        return EngineConfig(files, Optional.of(clipTokenizer), Optional.empty()).withT5Tokenizer(t5Tokenizer)
    }

    /** CLIP's vocab.json and merges.txt from the generated BPE vocabulary, whose ids all fall inside CLIP-L's table. */
    private fun writeClipTokenizer(folder: Path): Path {
        if (Files.isRegularFile(folder.resolve(HuggingFaceClipFiles.VOCAB))) return folder
        val vocab = ClipVocabulary.tinyGenerated(400)
        return HuggingFaceClipFiles.write(folder, vocab.tokens, vocab.merges)
    }
}
