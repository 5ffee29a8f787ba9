package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.image.RgbImage
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.core.registry.Families
import dev.sdj.ggml.Ggml

/**
 * decode(encode(init image)) for a request, as the model's own pipeline runs its image-encoding and decoding phases
 * with nothing between them, on the CPU: the image image-to-image at strength 0 should give back, but for its one
 * denoising step.
 */
object VaeRoundTrip {
    /** The round trip as 8-bit RGB (as [dev.sdj.api.GenerationResult.rgb] holds an image). */
    fun rgb(config: EngineConfig, request: GenerationRequest): ByteArray {
        val model = ModelAssembly.assemble(ModelOpener.open(config.model(), config.tokenizer().orElse(null), config.t5Tokenizer().orElse(null)))
        val pipeline = Families.pipeline(model)
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val vae = model.components.getValue(ComponentKind.VAE)
        val specs = ParamSpecs.of(vae, DeviceTypeSupport.of(ggml, cpu)).specs
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "VAE round trip").use { buffer ->
            ParamLoader().use { it.load(buffer, vae.tensors) }
            val weights = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            GraphSession(ggml, cpu.bufferType(), ComputeBackends.open(cpu, 2)).use { session ->
                val results = arrayOfNulls<Any>(pipeline.phases.size)
                fun run() = PhaseRun(request, { weights }, session, ProgressListener { _, _, _ -> }, CancellationToken(), results.toList())
                val encoding = pipeline.phases.filterIsInstance<ImageEncoding>().single()
                results[pipeline.denoiserPhase] = encoding.initLatent(run(), encoding.run(run()))
                val image = pipeline.image(pipeline.phases.single { it.label == "decoding" }.run(run()))
                return RgbImage.fromDecoderOutput(image, request.width(), request.height()).pixels
            }
        }
    }
}
