package dev.sdj.core.memory

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.Tensor
import java.io.IOException
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * Parameters the CPU computes on where they lie in their model file: a read-only mapping of the file serves as a
 * ggml CPU buffer, so loading copies nothing and the process holds no second copy of them (the mapped pages are the
 * kernel's file cache, which it may drop and read again). A tensor qualifies when the CPU takes its stored type as
 * it is (no dequantizing, bf16 widening or quantizing on load) and its data starts on ggml's 32-byte alignment in
 * the file — GGUF aligns its data, safetensors need not, so the rule is per tensor and a component may be partly
 * mapped, partly copied.
 */
object InPlaceParams {
    /** The most one Java mapping spans; a larger tensor is copied. */
    private const val MAX_REGION = Int.MAX_VALUE.toLong()

    /** Whether [spec], loaded from [ref], can be served from the file's mapping. */
    fun servable(spec: ParamSpec, ref: TensorRef): Boolean =
        ref.type.ggml == spec.type && ref.fileOffset % Ggml.CPU_BUFFER_ALIGNMENT == 0L && ref.byteSize <= MAX_REGION

    /** Those of [specs] that can be served from their files, with their sources. */
    fun select(specs: List<ParamSpec>, sources: Map<String, TensorRef>): Map<String, TensorRef> =
        specs.mapNotNull { spec -> sources[spec.name]?.takeIf { servable(spec, it) }?.let { spec.name to it } }.toMap()

    /** The bytes [selected] serves from files: what the ledger records in [MemoryLedger.MAPPED_POOL] for them. */
    fun bytes(selected: Map<String, TensorRef>): Long = selected.values.sumOf { it.byteSize }

    /** A span of one file mapped as one buffer, and the tensors in it. */
    internal data class Region(val file: Path, val start: Long, val end: Long, val tensors: List<Pair<String, TensorRef>>) {
        val bytes: Long get() = tensors.sumOf { it.second.byteSize }
    }

    /** [selected] grouped into spans of one file each at most [maxSpan] bytes long, in file order. */
    internal fun regions(selected: Map<String, TensorRef>, maxSpan: Long = MAX_REGION): List<Region> {
        val out = ArrayList<Region>()
        for ((file, refs) in selected.entries.groupBy { it.value.file.path }) {
            var current = ArrayList<Pair<String, TensorRef>>()
            var start = 0L
            var end = 0L
            for ((name, ref) in refs.sortedBy { it.value.fileOffset }) {
                val refEnd = ref.fileOffset + ref.byteSize
                if (current.isNotEmpty() && refEnd - start > maxSpan) {
                    out.add(Region(file, start, end, current))
                    current = ArrayList()
                }
                if (current.isEmpty()) {
                    start = ref.fileOffset
                    end = refEnd
                }
                current.add(name to ref)
                end = maxOf(end, refEnd)
            }
            if (current.isNotEmpty()) out.add(Region(file, start, end, current))
        }
        return out
    }

    /**
     * Maps each region of [selected] and places its tensors (from [tensors]) there; each mapping is a buffer recorded
     * in [ledger]'s mapped pool under [owner], whose closing frees the ggml buffer and only then unmaps the file.
     */
    internal fun map(ggml: Ggml, ledger: MemoryLedger, selected: Map<String, TensorRef>, tensors: Map<String, Tensor>,
                     owner: String): List<LedgerBuffer> {
        val regions = regions(selected)
        val out = ArrayList<LedgerBuffer>()
        try {
            for ((i, region) in regions.withIndex()) {
                val suffix = if (regions.size > 1) " [mapped ${i + 1}/${regions.size}]" else " [mapped]"
                val mapping = mapRegion(region)
                val buffer = ggml.cpuBufferOver(mapping, { ParamLoader.unmap(it as MappedByteBuffer) },
                    "${region.file.fileName} bytes [${region.start}, ${region.end})")
                val recorded = ledger.adopt(buffer, MemoryLedger.MAPPED_POOL, region.bytes, owner + suffix)
                out.add(recorded)
                buffer.markAsWeights()
                for ((name, ref) in region.tensors) {
                    val tensor = tensors.getValue(name)
                    if (tensor.nbytes() != ref.byteSize) {
                        throw IllegalArgumentException("tensor '${ref.info.name}' has ${ref.byteSize} bytes of ${ref.type}; " +
                            "the device tensor ${tensor.type().ggmlName()} ${tensor.shape().toList()} needs ${tensor.nbytes()}")
                    }
                    buffer.place(tensor, ref.fileOffset - region.start, Ggml.CPU_BUFFER_ALIGNMENT)
                }
            }
            return out
        } catch (e: Throwable) {
            out.forEach { it.close() }
            throw e
        }
    }

    private fun mapRegion(region: Region): MappedByteBuffer {
        val first = region.tensors.first().second
        try {
            FileChannel.open(region.file, StandardOpenOption.READ).use { channel ->
                if (region.end > channel.size()) {
                    throw ModelFileException(region.file, first.info.name, "the file is shorter than when it was read (truncated since?)")
                }
                // The mapping outlives the channel: it stays until the buffer over it is freed.
                return channel.map(FileChannel.MapMode.READ_ONLY, region.start, region.end - region.start)
            }
        } catch (e: IOException) {
            throw ModelFileException(region.file, first.info.name, "cannot map bytes [${region.start}, ${region.end}): ${e.message}", e)
        }
    }
}
