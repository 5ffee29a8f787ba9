package dev.sdj.core.memory

import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * A component whose blocks are partly streamed: the core and the resident blocks in [ParamBuffer]s of the caller's
 * (which may keep them between generations: the weights in one, each LoRA file's low-rank adapters in one of its own), and a ring of equal device slots through which the streamed blocks pass. Each streamed block's tensors are placed once, in slot
 * (its position among the streamed blocks) mod (slot count), so graphs are built over fixed tensors and a block is
 * "loaded" by writing its bytes into them; two blocks sharing a slot are never needed at the same time.
 */
class StreamedParams private constructor(
    val fixed: List<ParamBuffer>,
    private val ctx: GgmlContext,
    private val slotBuffers: List<LedgerBuffer>,
    /** The streamed blocks in execution order, each with its device tensors by parameter name. */
    val streamed: List<Pair<String, Map<String, Tensor>>>,
    private val master: BlockMaster,
) : AutoCloseable {

    val slots: Int get() = slotBuffers.size

    /** Every parameter tensor, by name, wherever it lives (for the graph builder). */
    fun tensors(): Map<String, Tensor> {
        val all = LinkedHashMap<String, Tensor>()
        for (buffer in fixed) buffer.names.forEach { all[it] = buffer.tensor(it) }
        streamed.forEach { (_, t) -> all.putAll(t) }
        return all
    }

    /** Uploads streamed block [index] into its slot from the host's master copy; returns the bytes written. */
    fun upload(index: Int): Long = master.upload(streamed[index].second)

    /** Frees the slots; the fixed part is the caller's (it may stay for the next generation). */
    override fun close() {
        try {
            slotBuffers.forEach { it.close() }
        } finally {
            ctx.close()
        }
    }

    companion object {
        /** The specs of the part that stays on the device: the core and the resident blocks. */
        fun fixedSpecs(structure: BlockStructure, resident: Set<String>): List<ParamSpec> =
            structure.core + structure.blocks.filter { it.name in resident }.flatMap { it.specs }

        /**
         * Allocates [slots] slots on [bufferType] through [ledger] beside [fixed] (the caller's, allocated from
         * [fixedSpecs] and loaded by it); the streamed blocks are uploaded from [master] (also the caller's) while the
         * graph runs.
         */
        fun allocate(ggml: Ggml, ledger: MemoryLedger, bufferType: BufferType, structure: BlockStructure, resident: Set<String>,
                     fixed: List<ParamBuffer>, slots: Int, owner: String, master: BlockMaster): StreamedParams {
            val streamedBlocks = structure.blocks.filter { it.name !in resident }
            require(streamedBlocks.isNotEmpty()) { "'$owner': every block is resident, nothing to stream" }
            require(slots in 1..streamedBlocks.size) { "'$owner': $slots slots for ${streamedBlocks.size} streamed blocks" }
            val ctx = ggml.newContext(streamedBlocks.sumOf { it.specs.size })
            val opened = ArrayList<AutoCloseable>()
            try {
                val layouts = streamedBlocks.map { b ->
                    val tensors = ParamLayout.createTensors(ctx, b.specs)
                    val layout = ParamLayout.of(bufferType, b.specs, tensors)
                    require(layout.chunks.size == 1) { "block '${b.name}' of '$owner' is larger than one ${bufferType.name()} buffer" }
                    Triple(b.name, tensors, layout.chunks.single())
                }
                val slotBytes = layouts.maxOf { it.third.bytes }
                val buffers = (0 until slots).map { i ->
                    ledger.allocate(bufferType, slotBytes, "$owner (stream slot ${i + 1}/$slots)").also {
                        opened.add(it)
                        it.buffer.markAsWeights()
                    }
                }
                val alignment = bufferType.alignment()
                for ((i, l) in layouts.withIndex()) {
                    val (_, tensors, chunk) = l
                    for (p in chunk.placements) buffers[i % slots].buffer.place(tensors.getValue(p.name), p.offset, alignment)
                }
                return StreamedParams(fixed, ctx, buffers, layouts.map { it.first to it.second }, master)
            } catch (e: Throwable) {
                opened.reversed().forEach { it.close() }
                ctx.close()
                throw e
            }
        }
    }
}
