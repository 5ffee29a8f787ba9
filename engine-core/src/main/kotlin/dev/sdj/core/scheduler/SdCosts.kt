package dev.sdj.core.scheduler

import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdUnetBlocks
import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.LatentTiling
import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamLayout
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType

/**
 * What an SD text-to-image run costs on a device, before anything is loaded: each component's parameter bytes as
 * the engine lays them out, and each phase's compute buffer as ggml's graph allocator measures it on the real graph
 * at the requested size.
 */
object SdCosts {

    /**
     * @param decodeTiling how the VAE decodes: its compute buffer is one tile's
     * @param contextTokens tokens of the UNet's text context (77 per prompt chunk); the text encoder runs one chunk at a time
     * @param unetAttention how the UNet computes attention: the naive path's score matrices dominate its buffer
     * @param requestedType the type weights are quantized to while loading, or null
     */
    fun measure(ggml: Ggml, model: AssembledModel, family: SdFamily, device: Device, width: Int, height: Int,
                decodeTiling: LatentTiling, contextTokens: Int, unetAttention: Attention, requestedType: DType? = null): Costs {
        val buft = device.bufferType()
        val support = DeviceTypeSupport.of(ggml, device)
        val specs = PIPELINE.associateWith { ParamSpecs.of(model.components.getValue(it), support, requested = requestedType).usable(device.name()) }
        val params = specs.mapValues { (_, s) -> ParamLayout.bytesNeeded(ggml, buft, s) }
        val w = (width / 8).toLong()
        val h = (height / 8).toLong()
        val compute = LinkedHashMap<String, Long>()
        withPlaceholderWeights(ggml, specs.getValue(ComponentKind.TEXT_ENCODER)) { te ->
            val hidden = te.get("text_model.final_layer_norm.weight").ne(0)
            compute["text encoder"] = CompiledGraph.measure(ggml, buft) { g ->
                family.textEncoder.build(g.nn, te.at("text_model"), g.input("tokens", GgmlType.I32, family.textEncoder.contextTokens.toLong(), 1))
            }
            withPlaceholderWeights(ggml, specs.getValue(ComponentKind.DIFFUSION_MODEL)) { unet ->
                compute["unet"] = CompiledGraph.measure(ggml, buft, attention = unetAttention) { g ->
                    family.unet.build(g.nn, unet, g.input("x", GgmlType.F32, w, h, 4, 1), g.input("t", GgmlType.F32, 1),
                        g.input("context", GgmlType.F32, hidden, contextTokens.toLong(), 1))
                }
            }
        }
        withPlaceholderWeights(ggml, specs.getValue(ComponentKind.VAE)) { vae ->
            val tw = decodeTiling.extent(w.toInt()).toLong()
            val th = decodeTiling.extent(h.toInt()).toLong()
            compute["vae decoder"] = CompiledGraph.measure(ggml, buft) { g -> SdVaeDecoder.build(g.nn, vae, g.input("z", GgmlType.F32, tw, th, 4, 1)) }
        }
        val uploads = specs.mapValues { (_, s) -> s.sumOf { dataBytes(ggml, it) } }
        return Costs(params, compute, streaming(ggml, buft, SdUnetBlocks.of(specs.getValue(ComponentKind.DIFFUSION_MODEL))), uploads)
    }

    /** Streaming costs with k = 0 … n − 1 blocks resident, the largest blocks kept first. */
    fun streaming(ggml: Ggml, buft: BufferType, structure: BlockStructure): StreamCosts? {
        val blocks = structure.blocks
        if (blocks.isEmpty()) return null
        val layout = blocks.associate { it.name to ParamLayout.bytesNeeded(ggml, buft, it.specs) }
        val data = blocks.associate { b -> b.name to b.specs.sumOf { dataBytes(ggml, it) } }
        val largestFirst = blocks.sortedByDescending { layout.getValue(it.name) }.map { it.name }
        val sets = (0 until blocks.size).map { k -> largestFirst.take(k).toSet() }
        return StreamCosts(
            blocks.map { it.name },
            sets,
            sets.map { r -> ParamLayout.bytesNeeded(ggml, buft, structure.core + blocks.filter { it.name in r }.flatMap { it.specs }) },
            sets.map { r -> blocks.filter { it.name !in r }.maxOf { layout.getValue(it.name) } },
            sets.map { r -> blocks.filter { it.name !in r }.sumOf { data.getValue(it.name) } },
            sets.map { r -> structure.core.sumOf { dataBytes(ggml, it) } + blocks.filter { it.name in r }.sumOf { data.getValue(it.name) } },
        )
    }

    private fun dataBytes(ggml: Ggml, spec: ParamSpec): Long = ggml.rowSize(spec.type, spec.shape[0]) * spec.shape.drop(1).fold(1L) { a, b -> a * b }

    /**
     * Weight tensors that have memory without holding the weights: ggml's allocator only asks whether a tensor has
     * memory, so every tensor shares one host buffer as large as the largest of them. Nothing reads it.
     */
    private fun <T> withPlaceholderWeights(ggml: Ggml, specs: List<ParamSpec>, use: (Weights) -> T): T {
        val cpu = ggml.cpu().bufferType()
        ggml.newContext(specs.size).use { ctx ->
            val tensors = specs.associate { s -> s.name to ctx.newTensor(s.type, *s.shape.toLongArray()) }
            val largest = tensors.values.maxOf { cpu.allocSize(it) }
            cpu.allocate(largest).use { buffer ->
                tensors.values.forEach { buffer.place(it, 0, cpu.alignment()) }
                return use(MapWeights(tensors))
            }
        }
    }

    val PIPELINE = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
}
