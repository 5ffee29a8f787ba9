package dev.sdj.core.bench

import dev.sdj.api.Benchmarks
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.engine.ggmlRefusals
import dev.sdj.core.model.safetensors.SafetensorsFile
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import java.nio.file.Path
import java.util.function.Consumer

/** engine-api's [Benchmarks] over this package's benchmarks; ggml's refusals become [EngineException]s. */
object SdjBenchmarks : Benchmarks {
    override fun architectures(): List<Benchmarks.Architecture> = GenerationBenchmark.Architecture.entries.map {
        Benchmarks.Architecture(it.id, it.label, it.weights, it.cfgScale, it.defaultFileName)
    }

    override fun prepare(id: String, file: Path): EngineConfig {
        val architecture = GenerationBenchmark.Architecture.of(id)
            ?: throw InvalidRequestException("no benchmark architecture '$id'; one of: " +
                GenerationBenchmark.Architecture.entries.joinToString(", ") { it.id })
        return architecture.prepare(file)
    }

    override fun prepareLoad(file: Path, megabytes: Long): Benchmarks.LoadFile = ggmlRefusals {
        val bench = LoadBenchmark(Ggml.get())
        val written = bench.prepare(file, megabytes)
        bench.warm(written)
        Benchmarks.LoadFile(written.path, written.tensors.sumOf { it.byteSize }, written.tensors.size)
    }

    override fun load(file: Benchmarks.LoadFile, device: String, runs: Int): Benchmarks.LoadRun = ggmlRefusals {
        val ggml = Ggml.get()
        val r = LoadBenchmark(ggml).run(SafetensorsFile.read(file.path), device(ggml, device), runs)
        Benchmarks.LoadRun(r.device, r.bytes, r.secondsPerRun)
    }

    override fun uploadBytesPerSecond(device: String, bytes: Long, runs: Int): Double = ggmlRefusals {
        val ggml = Ggml.get()
        UploadBandwidth.measure(ggml, device(ggml, device), bytes, runs)
    }

    override fun generation(model: EngineConfig, size: Int, steps: Int, log: Consumer<String>,
                            configure: Consumer<GenerationRequest.Builder>): Benchmarks.GenerationRun = ggmlRefusals {
        val r = GenerationBenchmark.run(model, size, steps, log::accept, configure::accept)
        Benchmarks.GenerationRun(r.size, r.steps, r.secondsPerStep, r.totalSeconds, r.peakDeviceBytes, r.uploadedBytes, r.device,
            r.placement, r.blocks, r.residentBlocks, r.uploadBytesPerStep, r.uploadWaitPerStep, r.secondsToFirstStep,
            r.rss.anonymousBytes, r.rss.fileBytes, r.phases, r.runPeakRssBytes)
    }

    override fun streaming(model: EngineConfig, size: Int, steps: Int, log: Consumer<String>,
                           configure: Consumer<GenerationRequest.Builder>): Benchmarks.StreamingRun = ggmlRefusals {
        val r = StreamingBenchmark.run(model, size, steps, log::accept, configure::accept)
        Benchmarks.StreamingRun(r.device, r.computeSecondsPerStep, r.streamedSecondsPerStep, r.uploadBytesPerStep,
            r.waitSecondsPerStep, r.bytesPerSecond, r.streamedPeakBytes)
    }

    override fun conditioning(model: EngineConfig, prompt: String, log: Consumer<String>,
                              configure: Consumer<GenerationRequest.Builder>): List<Benchmarks.ConditioningRun> = ggmlRefusals {
        ConditioningBenchmark.run(model, prompt, log::accept, configure::accept).map {
            Benchmarks.ConditioningRun(it.placement, it.residentBlocks, it.blocks, it.phaseSeconds, it.totalSeconds,
                it.predictedPeakBytes, it.peakDeviceBytes, it.uploadedBytes)
        }
    }

    override fun prepareAudio(dir: Path): List<Path> = AudioBenchmark.prepare(dir)

    override fun audio(files: List<Path>, seconds: List<Int>, device: String, threads: Int?, log: Consumer<String>): List<Benchmarks.AudioRun> =
        ggmlRefusals {
            if (seconds.isEmpty() || seconds.any { it < 1 }) throw InvalidRequestException("clip lengths must be whole seconds, at least 1; got $seconds")
            val ggml = Ggml.get()
            AudioBenchmark.run(files, seconds, device(ggml, device), threads, log::accept).map {
                Benchmarks.AudioRun(it.seconds, it.latentFrames, it.melFrames, it.vaeSeconds, it.vocoderSeconds, it.vaeComputeBytes,
                    it.vocoderComputeBytes, it.sampleRate, it.peakRssBytes)
            }
        }

    override fun vaeConvolution(model: Path, latents: List<Int>, device: String, threads: Int?, perConvolution: Boolean,
                                log: Consumer<String>): Benchmarks.VaeConvolutionRun = ggmlRefusals {
        if (latents.isEmpty() || latents.any { it < 1 }) throw InvalidRequestException("latent sizes must be at least 1; got $latents")
        val ggml = Ggml.get()
        val r = VaeConvolutionBenchmark.run(model, latents, device(ggml, device), threads, perConvolution, log::accept)
        fun timings(list: List<VaeConvolutionBenchmark.Timing>) = list.map {
            Benchmarks.ConvolutionTiming(it.what, it.latent, it.count, it.im2colSeconds, it.directSeconds, it.im2colComputeBytes,
                it.directComputeBytes)
        }
        Benchmarks.VaeConvolutionRun(timings(r.decodes), timings(r.convolutions))
    }

    private fun device(ggml: Ggml, name: String): Device = ggml.devices().firstOrNull { it.name() == name }
        ?: throw InvalidRequestException("no ggml device '$name'; devices: " + ggml.devices().joinToString(", ") { it.name() })
}
