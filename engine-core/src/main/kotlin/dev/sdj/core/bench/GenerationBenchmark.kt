package dev.sdj.core.bench

import dev.sdj.api.Benchmarks
import dev.sdj.api.CancellationToken
import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.DType
import dev.sdj.ggml.Ggml
import java.nio.file.Files
import java.nio.file.Path

/**
 * Time per denoising step for a full-size SD 1.5-, SDXL base- or Flux.1-architecture model with random weights
 * (generated once into files), so the engine's speed can be measured where no real weights may be downloaded.
 */
object GenerationBenchmark {
    /** SD 1.5's shapes: 320 base channels, CLIP-L (768 wide, 12 layers, 49408 tokens), a 128-channel VAE. */
    val SD15 = SdArchitecture(
        unet = SdArchitecture.Unet(modelChannels = 320, contextDim = 768),
        vae = SdArchitecture.Vae(channels = 128),
        clip = SdArchitecture.Clip(vocabSize = 49408, hidden = 768, layers = 12),
    )

    /**
     * SDXL base 1.0's shapes (generative-models' sd_xl_base.yaml): 320 base channels over three levels, no attention at
     * full resolution, 2 and 10 transformer blocks at the others and 10 in the middle, a 2048-wide context from CLIP-L
     * and OpenCLIP bigG (1280 wide, 32 layers, projected to 1280), a 2816-wide added-condition input, a 128-channel VAE.
     */
    val SDXL_BASE = SdArchitecture(
        unet = SdArchitecture.Unet(modelChannels = 320, channelMult = listOf(1, 2, 4), attentionLevels = setOf(1, 2),
            transformerDepths = mapOf(1 to 2, 2 to 10), middleDepth = 10, contextDim = 2048, linearProjection = true,
            admInChannels = 1280 + SdArchitecture.SDXL_SIZE_CONDITIONS),
        vae = SdArchitecture.Vae(channels = 128),
        clip = SD15.clip,
        clip2 = SdArchitecture.Clip(vocabSize = 49408, hidden = 1280, layers = 32, intermediate = 5120, projection = 1280),
    )

    /**
     * The architectures the benchmark writes; [id] names one on the command line and in its default file name.
     * [cfgScale] is the one the model is run with: Flux.1 is guidance-distilled, one DiT evaluation per step.
     */
    enum class Architecture(val id: String, val label: String, val weights: String, val cfgScale: Double) {
        SD15("sd15", "SD1.5", "f16", 7.0) {
            override fun prepare(path: Path) = EngineConfig.of(GenerationBenchmark.prepare(path, GenerationBenchmark.SD15))
        },
        SDXL("sdxl", "SDXL base", "f16", 7.0) {
            override fun prepare(path: Path) = EngineConfig.of(GenerationBenchmark.prepare(path, SDXL_BASE))
        },
        FLUX_DEV("flux-dev", "FLUX.1-dev", FluxBenchModel.WEIGHTS, 1.0) {
            override fun prepare(path: Path) = FluxBenchModel.prepare(path, FluxArchitecture.DEV)
            override val defaultFileName: String get() = "sdj-$id-random"
        },
        FLUX_SCHNELL("flux-schnell", "FLUX.1-schnell", FluxBenchModel.WEIGHTS, 1.0) {
            override fun prepare(path: Path) = FluxBenchModel.prepare(path, FluxArchitecture.SCHNELL)
            override val defaultFileName: String get() = "sdj-$id-random"
        },

        /** LTX-2.3's conditioner alone (Gemma-3 12B and the connectors), for the conditioning phase. */
        LTX2_TEXT("ltx2-text", "LTX-2.3 conditioner", Ltx2TextBenchModel.weights(DType.Q4_0), 1.0) {
            override fun prepare(path: Path) = Ltx2TextBenchModel.prepare(path, DType.Q4_0)
            override val defaultFileName: String get() = "sdj-$id-random"
        },
        LTX2_TEXT_Q4_K("ltx2-text-q4k", "LTX-2.3 conditioner", Ltx2TextBenchModel.weights(DType.Q4_K), 1.0) {
            override fun prepare(path: Path) = Ltx2TextBenchModel.prepare(path, DType.Q4_K)
            override val defaultFileName: String get() = "sdj-$id-random"
        },

        /** LTX-2.3 text-to-video: the conditioner, the DiT and the video VAE. */
        LTX2("ltx2", "LTX-2.3", Ltx2BenchModel.weights(DType.Q4_0), 1.0) {
            override fun prepare(path: Path) = Ltx2BenchModel.prepare(path, DType.Q4_0)
            override val defaultFileName: String get() = "sdj-$id-random"
        },
        LTX2_Q4_K("ltx2-q4k", "LTX-2.3", Ltx2BenchModel.weights(DType.Q4_K), 1.0) {
            override fun prepare(path: Path) = Ltx2BenchModel.prepare(path, DType.Q4_K)
            override val defaultFileName: String get() = "sdj-$id-random"
        };

        /** A GGUF file for SD (its vocabulary inside), a folder of files for Flux and LTX-2. */
        open val defaultFileName: String get() = "sdj-$id-random-f16.gguf"

        /** Writes the model at [path] unless it is already there; returns the configuration that opens it. */
        abstract fun prepare(path: Path): EngineConfig

        companion object {
            fun of(id: String): Architecture? = entries.firstOrNull { it.id == id }
        }
    }

    data class Result(
        val size: Int,
        val steps: Int,
        val secondsPerStep: Double,
        val totalSeconds: Double,
        val peakDeviceBytes: Map<String, Long>,
        val uploadedBytes: Long,
        val device: String,
        val placement: String,
        val blocks: Int,
        val residentBlocks: Int,
        val uploadBytesPerStep: Long,
        /** Seconds per step the computation waited for streamed blocks. */
        val uploadWaitPerStep: Double,
        /** Seconds from opening the model to the first denoising step: planning, loading, text encoding, building the graph. */
        val secondsToFirstStep: Double,
        /** The process's resident memory once generated, engine still open: anonymous (allocated) and file-backed (mapped). */
        val rss: ResidentMemory,
        /** The run's stretches in order ([PhaseTimer]), from opening the model to the finished image: they add up to [totalSeconds]. */
        val phases: List<Benchmarks.PhaseTime>,
        /** The resident high-water mark of this run alone; 0 where it could not be reset at the start. */
        val runPeakRssBytes: Long,
    )

    /**
     * Writes the model unless [path] already holds it; GGUF, so its generated vocabulary travels inside (random weights
     * need no real tokenizer, only ids within the token embeddings).
     */
    fun prepare(path: Path, architecture: SdArchitecture): Path {
        if (Files.isRegularFile(path)) return path
        val vocab = ClipVocabulary.tinyGenerated(400)
        val tmp = path.resolveSibling(path.fileName.toString() + ".part.gguf")
        TinySdModel(architecture).writeSingleFile(tmp, vocab.tokens to vocab.merges)
        Files.move(tmp, path)
        return path
    }

    /**
     * The benchmark's request before [run]'s configuration. A plan made for another prompt can differ: LTX-2's text
     * connectors' compute buffer grows with the prompt's tokens.
     */
    fun request(size: Int, steps: Int): GenerationRequest.Builder =
        GenerationRequest.builder("a photograph of an astronaut riding a horse").size(size, size).steps(steps).sampler("euler")

    /**
     * @param configure sets the device, placement, budget cap, pinning and threads on the benchmark's request
     * @param log gets a line at each phase's start and each denoising step, with the seconds since the start: a
     *   full-size Flux step takes minutes on a CPU, and a run stopped early still tells how far it got
     */
    fun run(model: EngineConfig, size: Int, steps: Int, log: (String) -> Unit = {}, configure: (GenerationRequest.Builder) -> Unit): Result {
        // Loading ggml and initialising its backends is the process's once, not the run's: paired runs compare alike.
        Ggml.get()
        val peakReset = ResidentMemory.resetPeak()
        val start = System.nanoTime()
        val timer = PhaseTimer()
        Engine.open(model).use { engine ->
            val b = request(size, steps)
            configure(b)
            var denoiseStart = 0L
            var denoiseEnd = 0L
            var lastPhase = ""
            val result = engine.generate(b.build(), { phase, step, total ->
                timer.onProgress(phase, step, total)
                val seconds = (System.nanoTime() - start) / 1e9
                if (phase != lastPhase || phase == "denoising") log(String.format(java.util.Locale.ROOT, "%8.1f s  %s %d/%d", seconds, phase, step, total))
                lastPhase = phase
                // From the start of sampling (weights loaded, graph built) to its last step.
                if (phase == "denoising" && step == 0) denoiseStart = System.nanoTime()
                if (phase == "denoising" && step == total) denoiseEnd = System.nanoTime()
            }, CancellationToken())
            val rss = ResidentMemory.now()
            return Result(size, steps, (denoiseEnd - denoiseStart) / 1e9 / steps, (System.nanoTime() - start) / 1e9,
                result.peakDeviceBytes(), result.uploadedParameterBytes(), result.placement().device(), result.placement().placement(), result.placement().blocks(),
                result.placement().residentBlocks(), result.placement().uploadBytesPerStep(), result.uploadWaitMillis() / 1e3 / steps,
                (denoiseStart - start) / 1e9, rss, timer.times(), if (peakReset) ResidentMemory.peakBytes() else 0L)
        }
    }
}
