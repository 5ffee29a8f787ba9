package dev.sdj.core.memory

import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * The device copy of a set of parameter tensors — a whole component or one block of it — in buffers the engine
 * allocated through the [MemoryLedger]. Model graphs use [tensor]; the scheduler decides when a ParamBuffer exists.
 */
class ParamBuffer private constructor(
    val owner: String,
    val bufferType: BufferType,
    private val ctx: GgmlContext,
    internal val chunks: List<LedgerBuffer>,
    private val tensors: Map<String, Tensor>,
) : AutoCloseable {

    /** Bytes this set holds on its buffer type, as recorded in the ledger. */
    val bytes: Long get() = chunks.sumOf { it.bytes }

    val names: Set<String> get() = tensors.keys

    fun tensor(name: String): Tensor =
        tensors[name] ?: throw NoSuchElementException("'$owner' holds no tensor '$name'")

    override fun close() {
        chunks.forEach { it.close() }
        ctx.close()
    }

    companion object {
        /** Allocates room for [specs] in [bufferType] under [owner]; the tensors hold no data until loaded. */
        fun allocate(ggml: Ggml, ledger: MemoryLedger, bufferType: BufferType, specs: List<ParamSpec>, owner: String): ParamBuffer {
            require(specs.isNotEmpty()) { "'$owner' has no tensors to allocate" }
            val ctx = ggml.newContext(specs.size)
            val chunks = ArrayList<LedgerBuffer>()
            try {
                val tensors = ParamLayout.createTensors(ctx, specs)
                val layout = ParamLayout.of(bufferType, specs, tensors)
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
                return ParamBuffer(owner, bufferType, ctx, chunks, tensors)
            } catch (e: Throwable) {
                chunks.forEach { it.close() }
                ctx.close()
                throw e
            }
        }
    }
}
