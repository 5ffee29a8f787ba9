package dev.sdj.core.memory

import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * The device copy of a set of parameter tensors — a whole component or one block of it — in buffers the engine
 * allocated through the [MemoryLedger], and on the CPU partly or wholly in mappings of the model files
 * ([InPlaceParams]). Model graphs use [tensor]; the scheduler decides when a ParamBuffer exists.
 */
class ParamBuffer private constructor(
    val owner: String,
    val bufferType: BufferType,
    private val ctx: GgmlContext,
    internal val chunks: List<LedgerBuffer>,
    private val mappings: List<LedgerBuffer>,
    private val tensors: Map<String, Tensor>,
    /** The tensors served from mapped files: they need no loading. */
    val mappedNames: Set<String>,
) : AutoCloseable {

    /** Bytes this set holds allocated on its buffer type, as recorded in the ledger. */
    val bytes: Long get() = chunks.sumOf { it.bytes }

    /** Bytes of the tensors served from mapped files, as recorded in the ledger's [MemoryLedger.MAPPED_POOL]. */
    val mappedBytes: Long get() = mappings.sumOf { it.bytes }

    val names: Set<String> get() = tensors.keys

    /** The tensors whose data must be loaded into the allocated buffers. */
    val copiedNames: Set<String> get() = tensors.keys - mappedNames

    fun tensor(name: String): Tensor =
        tensors[name] ?: throw NoSuchElementException("'$owner' holds no tensor '$name'")

    override fun close() {
        chunks.forEach { it.close() }
        mappings.forEach { it.close() }
        ctx.close()
    }

    companion object {
        /**
         * Allocates room for [specs] in [bufferType] under [owner]; the tensors hold no data until loaded, except those
         * of [inPlace] (specs the CPU reads in place, see [InPlaceParams.select]), which are served from their files.
         */
        fun allocate(ggml: Ggml, ledger: MemoryLedger, bufferType: BufferType, specs: List<ParamSpec>, owner: String,
                     inPlace: Map<String, TensorRef> = emptyMap()): ParamBuffer {
            require(specs.isNotEmpty()) { "'$owner' has no tensors to allocate" }
            val ctx = ggml.newContext(specs.size)
            val chunks = ArrayList<LedgerBuffer>()
            var mappings: List<LedgerBuffer> = emptyList()
            try {
                val tensors = ParamLayout.createTensors(ctx, specs)
                val layout = ParamLayout.of(bufferType, specs.filter { it.name !in inPlace }, tensors)
                val alignment = bufferType.alignment()
                for ((i, chunk) in layout.chunks.withIndex()) {
                    val suffix = if (layout.chunks.size > 1) " [${i + 1}/${layout.chunks.size}]" else ""
                    val buffer = ledger.allocate(bufferType, chunk.bytes, owner + suffix)
                    chunks.add(buffer)
                    buffer.buffer.markAsWeights()
                    for (p in chunk.placements) {
                        buffer.buffer.place(tensors.getValue(p.name), p.offset, alignment)
                    }
                }
                if (inPlace.isNotEmpty()) mappings = InPlaceParams.map(ggml, ledger, inPlace, tensors, owner)
                return ParamBuffer(owner, bufferType, ctx, chunks, mappings, tensors, inPlace.keys.toSet())
            } catch (e: Throwable) {
                chunks.forEach { it.close() }
                mappings.forEach { it.close() }
                ctx.close()
                throw e
            }
        }
    }
}
