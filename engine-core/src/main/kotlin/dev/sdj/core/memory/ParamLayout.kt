package dev.sdj.core.memory

import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * Where each parameter tensor goes inside the buffers of one buffer type: offsets aligned as the type requires,
 * split into several buffers when the total exceeds the largest buffer the type can allocate (Vulkan caps single
 * allocations). Computing it allocates nothing, so planners can know the exact bytes a set of tensors needs.
 */
class ParamLayout private constructor(val chunks: List<Chunk>) {

    data class Placement(val name: String, val offset: Long, val bytes: Long)

    data class Chunk(val bytes: Long, val placements: List<Placement>)

    val totalBytes: Long get() = chunks.sumOf { it.bytes }

    companion object {
        /** The layout of [specs] in [bufferType], using [tensors] (created in some metadata context) for sizes. */
        fun of(bufferType: BufferType, specs: List<ParamSpec>, tensors: Map<String, Tensor>): ParamLayout {
            val alignment = bufferType.alignment()
            val maxChunk = bufferType.maxSize()
            val chunks = ArrayList<Chunk>()
            var current = ArrayList<Placement>()
            var used = 0L
            for (spec in specs) {
                val size = bufferType.allocSize(tensors.getValue(spec.name))
                if (size > maxChunk) {
                    throw IllegalArgumentException("tensor '${spec.name}' needs $size bytes, more than the largest " +
                        "${bufferType.name()} buffer ($maxChunk bytes)")
                }
                val offset = alignUp(used, alignment)
                if (offset + size > maxChunk && current.isNotEmpty()) {
                    chunks.add(Chunk(alignUp(used, alignment), current))
                    current = ArrayList()
                    used = 0
                }
                val at = alignUp(used, alignment)
                current.add(Placement(spec.name, at, size))
                used = at + size
            }
            if (current.isNotEmpty()) chunks.add(Chunk(alignUp(used, alignment), current))
            return ParamLayout(chunks)
        }

        /** Bytes [specs] need in [bufferType], computed in a throwaway metadata context. */
        fun bytesNeeded(ggml: Ggml, bufferType: BufferType, specs: List<ParamSpec>): Long {
            if (specs.isEmpty()) return 0
            ggml.newContext(specs.size).use { ctx ->
                return of(bufferType, specs, createTensors(ctx, specs)).totalBytes
            }
        }

        internal fun createTensors(ctx: GgmlContext, specs: List<ParamSpec>): Map<String, Tensor> {
            val out = LinkedHashMap<String, Tensor>(specs.size * 2)
            for (spec in specs) {
                val t = ctx.newTensor(spec.type, *spec.shape.toLongArray())
                t.name(ggmlName(spec.name))
                out[spec.name] = t
            }
            return out
        }

        /** ggml names are limited to 63 bytes; the map keeps the full name, ggml gets its tail for debugging. */
        private fun ggmlName(name: String): String {
            var n = name
            while (n.toByteArray(Charsets.UTF_8).size > 63) n = n.substring(1)
            return n
        }

        private fun alignUp(n: Long, alignment: Long): Long = (n + alignment - 1) / alignment * alignment
    }
}
