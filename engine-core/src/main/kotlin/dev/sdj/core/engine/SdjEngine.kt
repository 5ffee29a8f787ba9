package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.SdConditioner
import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdTextToImage
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.GenerationParameters
import dev.sdj.core.image.PngWriter
import dev.sdj.core.image.RgbImage
import dev.sdj.core.image.modelHash
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.UploadType
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import java.nio.file.Files

/**
 * The engine behind [Engine.open]: opens the model once, keeps each component's parameters resident on the device
 * a request names until a request names another, and runs the family's pipeline.
 */
class SdjEngine(config: EngineConfig) : Engine {
    private val ggml: Ggml = try {
        Ggml.get()
    } catch (e: GgmlException) {
        throw EngineException("ggml is not usable: ${e.message}", e)
    }
    private val model: AssembledModel = ModelAssembly.assemble(ModelOpener.open(config.model(), config.tokenizer().orElse(null)))
    private val family: SdFamily = try {
        SdFamily.of(model.family)
    } catch (e: IllegalArgumentException) {
        throw UnsupportedModelException("${model.family.label} is recognised but cannot generate yet: only SD 1.x and SD 2.x have a pipeline")
    }
    private val tokenizer = ClipTokenizer(vocabulary())
    private val pipeline = SdTextToImage(family, SdConditioner(tokenizer, family.textEncoder,
        if (family.padWithEos) tokenizer.vocab.eosId else 0))
    private val ledger = MemoryLedger()
    private var resident: Resident? = null
    private val hash: String? by lazy {
        model.inputs.singleOrNull()?.source?.takeIf { Files.isRegularFile(it) }?.let { modelHash(it) }
    }

    /** What stays on one device between generations: the parameters. */
    private class Resident(val device: Device, val buffers: Map<ComponentKind, ParamBuffer>) {
        fun weights(kind: ComponentKind): Weights = buffers.getValue(kind).let { b -> MapWeights(b.names.associateWith { b.tensor(it) }) }
        fun close() = buffers.values.forEach { it.close() }
    }

    init {
        for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)) {
            if (kind !in model.components) {
                throw UnsupportedModelException("the model has no ${kind.label}: pass it together with the other files")
            }
        }
        if (model.components.getValue(ComponentKind.TEXT_ENCODER).tensors.keys.none { it.startsWith("text_model.") }) {
            throw UnsupportedModelException("the text encoder's tensors are not named like CLIP's (text_model.… or OpenCLIP's " +
                "transformer.resblocks.…)")
        }
    }

    private fun vocabulary(): ClipVocabulary {
        val source = model.tokenizers[ComponentKind.TEXT_ENCODER]
            ?: throw InvalidRequestException("the model carries no tokenizer: pass --tokenizer with a folder holding vocab.json " +
                "and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz")
        val gguf = model.inputs.firstNotNullOfOrNull { it.tensors.firstOrNull()?.first as? GgufFile }
        return ClipVocabulary.load(source, gguf?.values?.get("tokenizer.ggml.tokens")?.asStringList(),
            gguf?.values?.get("tokenizer.ggml.merges")?.asStringList())
    }

    override fun modelFamily(): String = model.family.label

    override fun generate(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): GenerationResult {
        val start = System.nanoTime()
        val device = chooseDevice(request)
        val params = residentOn(device)
        val pool = device.bufferType().name()
        ledger.resetPeak(pool)
        val image = GraphSession(ggml, device.bufferType(), ComputeBackends.open(device, request.threads().orElse(null))).use { session ->
            pipeline.run(request, params.weights(ComponentKind.TEXT_ENCODER).at("text_model"),
                params.weights(ComponentKind.DIFFUSION_MODEL), params.weights(ComponentKind.VAE), session, progress, cancel)
        }
        val rgb = RgbImage.fromDecoderOutput(image, request.width(), request.height())
        val parameters = GenerationParameters(request.prompt(), request.negativePrompt(), request.seed(), request.steps(),
            request.sampler(), request.cfgScale(), request.width(), request.height(), hash)
        val png = PngWriter.encode(rgb, parameters.toPngText())
        val peaks = ledger.states().associate { it.pool to it.peakBytes }
        return GenerationResult(png, request.width(), request.height(), request.seed(), parameters.infotext(), peaks,
            (System.nanoTime() - start) / 1_000_000)
    }

    /** The named device, or the first accelerator that is not a software rasteriser, or the CPU. */
    private fun chooseDevice(request: GenerationRequest): Device {
        val devices = ggml.devices()
        request.device().ifPresent { name ->
            if (devices.none { it.name() == name }) {
                throw InvalidRequestException("no device '$name'; available: ${devices.joinToString { it.name() }} (see sdj devices)")
            }
        }
        return request.device().map { name -> devices.first { it.name() == name } }.orElseGet {
            devices.firstOrNull { it.backendName() == "CUDA" }
                ?: devices.firstOrNull { it.backendName() == "Vulkan" && !it.description().startsWith("llvmpipe") }
                ?: ggml.cpu()
        }
    }

    private fun residentOn(device: Device): Resident {
        resident?.let { if (it.device.name() == device.name()) return it }
        resident?.close()
        resident = null
        val bf16 = UploadType.bf16Supported(ggml, device)
        val buffers = LinkedHashMap<ComponentKind, ParamBuffer>()
        try {
            ParamLoader().use { loader ->
                for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)) {
                    val c = model.components.getValue(kind)
                    val buffer = ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(c, bf16).specs, kind.label)
                    buffers[kind] = buffer
                    loader.load(buffer, c.tensors)
                }
            }
        } catch (e: Throwable) {
            buffers.values.forEach { it.close() }
            if (e is GgmlException) throw EngineException("cannot load the model onto ${device.name()}: ${e.message}", e)
            throw e
        }
        return Resident(device, buffers).also { resident = it }
    }

    override fun close() {
        resident?.close()
        resident = null
    }
}
