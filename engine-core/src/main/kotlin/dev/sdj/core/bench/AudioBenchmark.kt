package dev.sdj.core.bench

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.ltx2.Ltx2AudioDecoding
import dev.sdj.core.family.ltx2.Ltx2AudioVae
import dev.sdj.core.family.ltx2.Ltx2AudioVaeDimensions
import dev.sdj.core.family.ltx2.Ltx2VideoShape
import dev.sdj.core.family.ltx2.Ltx2Vocoding
import dev.sdj.core.family.ltx2.Ltx2VocoderDimensions
import dev.sdj.core.family.ltx2.Ltx2Weights
import dev.sdj.core.family.ltx2.TinyLtx2AudioVae
import dev.sdj.core.family.ltx2.TinyLtx2Vocoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import java.nio.file.Files
import java.nio.file.Path
import java.util.Random

/**
 * LTX-2's sound decoding against the clip's length: for each length, a random audio latent of the frames a 24 fps clip
 * of that many seconds gets ([Ltx2VideoShape.audioLength]) goes through the audio VAE ([Ltx2AudioDecoding], one graph)
 * and the vocoder ([Ltx2Vocoding], in its windows), timed apart, with each graph's compute buffer as the planner
 * measures it and the process's peak RSS after that length. Lengths run shortest first, so each peak is that of the
 * longest clip so far. One process, the weights loaded once.
 */
object AudioBenchmark {
    /** What [prepare] writes by default: LTX-2.3's audio VAE decoder and vocoder with its bandwidth extension, bf16 as released. */
    val KERNEL_TYPE = DType.BF16

    private const val FPS = 24

    data class Length(val seconds: Int, val latentFrames: Int, val melFrames: Int, val vaeSeconds: Double, val vocoderSeconds: Double,
                      val vaeComputeBytes: Long, val vocoderComputeBytes: Long, val sampleRate: Int, val peakRssBytes: Long)

    fun vaeFile(dir: Path): Path = dir.resolve("ltx-2.3-random-audio-vae-${KERNEL_TYPE.name.lowercase()}.safetensors")

    fun vocoderFile(dir: Path): Path = dir.resolve("ltx-2.3-random-vocoder-bwe-${KERNEL_TYPE.name.lowercase()}.safetensors")

    /** Writes what is missing of LTX-2.3's audio VAE and vocoder (with its bandwidth extension) into [dir]; returns both files. */
    fun prepare(dir: Path): List<Path> {
        val vae = vaeFile(dir).also {
            if (!Files.isRegularFile(it)) TinyLtx2AudioVae(Ltx2AudioVaeDimensions.LTX_2_3, convType = KERNEL_TYPE).write(it)
        }
        val vocoder = vocoderFile(dir).also {
            if (!Files.isRegularFile(it)) {
                TinyLtx2Vocoder(Ltx2VocoderDimensions.LTX_2_3, kernelType = KERNEL_TYPE, bwe = TinyLtx2Vocoder.LTX_2_3_BWE).write(it)
            }
        }
        return listOf(vae, vocoder)
    }

    /** Audio latent frames of a 24 fps clip of [seconds] (24·s + 1 frames: already 8k + 1). */
    fun latentFrames(seconds: Int): Int = Ltx2VideoShape(Ltx2VideoShape.SPATIAL_SCALE, Ltx2VideoShape.SPATIAL_SCALE, seconds * FPS + 1, FPS).audioLength

    /**
     * @param files the audio VAE's and the vocoder's files (`audio_vae.*`, `vocoder.*`, as [prepare] writes or a checkpoint holds them)
     * @param log a line as each length's phases end
     */
    fun run(files: List<Path>, seconds: List<Int>, device: Device, threads: Int?, log: (String) -> Unit = {}): List<Length> {
        val ggml = Ggml.get()
        val (components, _) = Ltx2Weights.split(files.map { ModelOpener.openFile(it, null) })
        fun component(kind: ComponentKind) = components[kind]
            ?: throw IllegalArgumentException("no ${kind.label} in ${files.joinToString()}")
        val support = DeviceTypeSupport.of(ggml, device)
        val ledger = MemoryLedger()
        return ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(component(ComponentKind.AUDIO_VAE), support).usable(device.name()), "audio VAE").use { vaeBuffer ->
            ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(component(ComponentKind.VOCODER), support).usable(device.name()), "vocoder").use { vocoderBuffer ->
                ParamLoader().use {
                    it.load(vaeBuffer, component(ComponentKind.AUDIO_VAE).tensors)
                    it.load(vocoderBuffer, component(ComponentKind.VOCODER).tensors)
                }
                val vaeWeights = weights(vaeBuffer)
                val vae = Ltx2AudioVae(Ltx2AudioVaeDimensions.of(vaeWeights))
                val vocoding = Ltx2Vocoding(weights(vocoderBuffer))
                seconds.sorted().map { s -> length(ggml, device, threads, s, vae, vaeWeights, vocoding).also { l -> log(line(l)) } }
            }
        }
    }

    private fun weights(buffer: ParamBuffer): Weights = MapWeights(buffer.names.associateWith { buffer.tensor(it) })

    /** One length, in a session of its own so that its compute buffers are freed before the next. */
    private fun length(ggml: Ggml, device: Device, threads: Int?, seconds: Int, vae: Ltx2AudioVae, vaeWeights: Weights, vocoding: Ltx2Vocoding): Length {
        val frames = latentFrames(seconds)
        val d = vae.dimensions
        val random = Random(seconds.toLong())
        val latent = FloatArray((d.latentBins * frames * d.latentChannels).toInt()) { random.nextGaussian().toFloat() }
        val melFrames = d.melFrames(frames)
        val vaeCompute = CompiledGraph.measure(ggml, device.bufferType(), build = vae.graph(vaeWeights, frames))
        val vocoderCompute = CompiledGraph.measure(ggml, device.bufferType(), build = vocoding.graph(melFrames))
        return GraphSession(ggml, device.bufferType(), ComputeBackends.open(device, threads)).use { session ->
            val start = System.nanoTime()
            val mel = Ltx2AudioDecoding(vae, vaeWeights).decode(latent, frames, session)
            val decoded = System.nanoTime()
            vocoding.decode(mel.values, mel.frames, session)
            val vocoded = System.nanoTime()
            Length(seconds, frames, melFrames, (decoded - start) / 1e9, (vocoded - decoded) / 1e9, vaeCompute, vocoderCompute,
                vocoding.sampleRate, ResidentMemory.peakBytes())
        }
    }

    private fun line(l: Length) = String.format(java.util.Locale.ROOT, "%d s (%d latent frames): audio VAE %.2f s, vocoder %.2f s",
        l.seconds, l.latentFrames, l.vaeSeconds, l.vocoderSeconds)
}
