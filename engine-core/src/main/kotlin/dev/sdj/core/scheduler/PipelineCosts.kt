package dev.sdj.core.scheduler

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Convolution
import dev.sdj.core.graph.Im2colConvolution
import dev.sdj.core.graph.LowRankAdapter
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.InPlaceParams
import dev.sdj.core.memory.LoadUnits
import dev.sdj.core.memory.ParamLayout
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.Phase
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext

/**
 * What a pipeline's run costs on a device, before anything is loaded: each component's parameter bytes as the
 * engine lays them out, and each phase's compute buffers as ggml's graph allocator measures them on the real graphs
 * at the request's shape.
 */
object PipelineCosts {

    /**
     * @param denoiserAttention how the diffusion model's phase computes attention (the others: naively)
     * @param convolution how each phase computes its 2-D convolutions
     * @param requestedType the type weights are quantized to while loading, or null
     * @param onCpu components the request pins to the CPU: laid out as the CPU takes them, since they are loaded there
     *   and their costs are dropped from the device's ([Costs.without]); the device need not be able to read them
     *   (lavapipe's ops refuse any tensor over 128 MiB, e.g. T5-XXL's token embedding in every type)
     * @param mapOnCpu on the CPU, the weights it reads as stored are served from the mapped model files
     *   ([InPlaceParams]): they are counted in [Costs.mapped], not in the parameters laid out or uploaded
     * @param patched the tensors a LoRA changes, by component: never mapped (a mapping is read-only), so laid out; a
     *   streamed component's ones in streamed blocks are copied once more, patched, for the slots to upload from — in
     *   the device's memory where it has no host buffer (the CPU), counted with the stream's phase
     */
    fun measure(ggml: Ggml, model: AssembledModel, pipeline: GenerationPipeline, device: Device, request: GenerationRequest,
                denoiserAttention: Attention, requestedType: DType? = null, onCpu: Set<ComponentKind> = emptySet(),
                mapOnCpu: Boolean = false, patched: Map<ComponentKind, Set<String>> = emptyMap(),
                convolution: (Phase) -> Convolution = { Im2colConvolution }): Costs {
        val buft = device.bufferType()
        val specs = pipeline.components.associateWith { kind ->
            val where = if (kind in onCpu) ggml.cpu() else device
            ParamSpecs.of(model.components.getValue(kind), DeviceTypeSupport.of(ggml, where), requested = requestedType).usable(where.name())
        }
        val inPlace = specs.mapValues { (kind, s) ->
            if (mapOnCpu && device.type() == DeviceType.CPU) {
                InPlaceParams.select(s, model.components.getValue(kind).tensors) - patched[kind].orEmpty()
            } else emptyMap()
        }
        val copied = specs.mapValues { (kind, s) -> s.filter { it.name !in inPlace.getValue(kind) } }
        val params = copied.mapValues { (kind, s) -> LoadUnits.of(model.components.getValue(kind), s).bytesNeeded(ggml, buft) }
        val phases = PlaceholderWeights(ggml, specs, model.components.mapValues { it.value.adapters }).use { placeholders ->
            pipeline.phases.mapIndexed { i, phase ->
                if (!phase.runsFor(request)) return@mapIndexed PhaseCost(phase.label, emptySet(), emptyMap())
                val attention = if (i == pipeline.denoiserPhase) denoiserAttention else NaiveAttention
                val graphs = phase.graphs(request, placeholders::of).associate { g ->
                    g.key.name to CompiledGraph.measure(ggml, buft, g.maxNodes, attention, convolution(phase), g.build)
                }
                PhaseCost(phase.label, phase.components.toSet(), graphs, phase.peakLever)
            }
        }
        val uploads = copied.mapValues { (_, s) -> s.sumOf { it.dataBytes(ggml) } }
        val streams = pipeline.streamables.mapNotNull { s ->
            // A streamed block's low-rank LoRA tensors are uploaded from copies beside the master, as patched tensors are.
            val copied = if (device.hostBufferType().isPresent) emptySet()
                else patched[s.component].orEmpty() + model.components.getValue(s.component).adapterTensors
            val component = model.components.getValue(s.component)
            streaming(ggml, buft, s.blocks(specs.getValue(s.component)), copied) { LoadUnits.of(component, it) }?.let { Stream(s.component, s.phase, it) }
        }
        val mapped = inPlace.mapValues { InPlaceParams.bytes(it.value) }.filterValues { it > 0 }
        return Costs(params, phases, pipeline.denoiserPhase, streams, uploads, mapped)
    }

    /**
     * Streaming costs with k = 0 … n − 1 blocks resident, the largest blocks kept first.
     *
     * @param patchedCopies the tensors whose patched copies are made in [buft] when their block is streamed
     * @param units how the resident part's specs are allocated: its weights, and each LoRA file's adapters apart
     */
    fun streaming(ggml: Ggml, buft: BufferType, structure: BlockStructure, patchedCopies: Set<String> = emptySet(),
                  units: (List<ParamSpec>) -> LoadUnits = { LoadUnits(it, emptyMap()) }): StreamCosts? {
        val blocks = structure.blocks
        if (blocks.isEmpty()) return null
        val layout = blocks.associate { it.name to ParamLayout.bytesNeeded(ggml, buft, it.specs) }
        val data = blocks.associate { b -> b.name to b.specs.sumOf { it.dataBytes(ggml) } }
        val largestFirst = blocks.sortedByDescending { layout.getValue(it.name) }.map { it.name }
        val sets = (0 until blocks.size).map { k -> largestFirst.take(k).toSet() }
        return StreamCosts(
            blocks.map { it.name },
            sets,
            sets.map { r -> units(structure.core + blocks.filter { it.name in r }.flatMap { it.specs }).bytesNeeded(ggml, buft) },
            sets.map { r -> blocks.filter { it.name !in r }.maxOf { layout.getValue(it.name) } },
            sets.map { r -> blocks.filter { it.name !in r }.sumOf { data.getValue(it.name) } },
            sets.map { r -> structure.core.sumOf { it.dataBytes(ggml) } + blocks.filter { it.name in r }.sumOf { data.getValue(it.name) } },
            sets.map { r ->
                val copies = blocks.filter { it.name !in r }.flatMap { it.specs }.filter { it.name in patchedCopies }
                if (copies.isEmpty()) 0L else ParamLayout.bytesNeeded(ggml, buft, copies)
            },
        )
    }

    /**
     * Weight tensors that have memory without holding the weights: ggml's allocator only asks whether a tensor has
     * memory, so a component's tensors share one host buffer as large as the largest of them. Nothing reads it.
     */
    private class PlaceholderWeights(private val ggml: Ggml, private val specs: Map<ComponentKind, List<ParamSpec>>,
                                     private val adapters: Map<ComponentKind, Map<String, List<LowRankAdapter>>>) : AutoCloseable {
        private val opened = LinkedHashMap<ComponentKind, Pair<GgmlContext, Weights>>()
        private val buffers = ArrayList<AutoCloseable>()

        fun of(kind: ComponentKind): Weights = opened.getOrPut(kind) {
            val list = specs[kind] ?: throw IllegalArgumentException("a phase reads the ${kind.label}, which it does not declare")
            val cpu = ggml.cpu().bufferType()
            val ctx = ggml.newContext(list.size)
            try {
                val tensors = list.associate { s -> s.name to ctx.newTensor(s.type, *s.shape.toLongArray()) }
                val buffer = cpu.allocate(tensors.values.maxOf { cpu.allocSize(it) })
                buffers.add(buffer)
                tensors.values.forEach { buffer.place(it, 0, cpu.alignment()) }
                ctx to MapWeights(tensors, adapters[kind].orEmpty())
            } catch (e: Throwable) {
                ctx.close()
                throw e
            }
        }.second

        override fun close() {
            buffers.forEach { it.close() }
            opened.values.forEach { it.first.close() }
        }
    }
}
