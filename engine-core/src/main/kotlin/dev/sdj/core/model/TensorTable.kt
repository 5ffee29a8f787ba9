package dev.sdj.core.model

import dev.sdj.api.ModelFileException
import java.nio.file.Path

/**
 * The checks every reader applies to the tensors it parsed, so a file that passes can be mapped and uploaded
 * without reading outside it: unique names, consistent sizes, data inside the file's data section, aligned where
 * the format requires it, and no two tensors sharing bytes.
 */
object TensorTable {

    /**
     * @param dataStart first byte of the data section; every tensor lies in [dataStart, fileSize)
     * @param alignment required alignment of offsets relative to [dataStart] (1 when the format has none)
     * @return the tensors by name, in file order
     */
    fun validate(file: Path, tensors: List<TensorInfo>, dataStart: Long, fileSize: Long, alignment: Long): Map<String, TensorInfo> {
        val byName = LinkedHashMap<String, TensorInfo>(tensors.size * 2)
        for (t in tensors) {
            if (t.name.isEmpty()) throw ModelFileException(file, null, "a tensor has an empty name")
            if (byName.put(t.name, t) != null) throw ModelFileException(file, t.name, "duplicate tensor name")
            if (t.shape.isEmpty()) throw ModelFileException(file, t.name, "tensor has no dimensions")
            if (t.shape.any { it <= 0 }) throw ModelFileException(file, t.name, "dimension sizes must be positive: ${t.shape}")
            val expected = t.type.byteSize(t.shape)
                ?: throw ModelFileException(file, t.name, "shape ${t.shape} is impossible for ${t.type} " +
                    "(overflow, or dimension 0 not a multiple of the block size ${t.type.blockSize})")
            if (expected != t.byteSize) {
                throw ModelFileException(file, t.name, "shape ${t.shape} of ${t.type} needs $expected bytes, the file gives ${t.byteSize}")
            }
            if (t.offset < dataStart || t.offset - dataStart < 0) {
                throw ModelFileException(file, t.name, "data offset ${t.offset} is before the data section at $dataStart")
            }
            if ((t.offset - dataStart) % alignment != 0L) {
                throw ModelFileException(file, t.name, "data offset ${t.offset - dataStart} is not aligned to $alignment bytes")
            }
            if (t.offset > fileSize || t.byteSize > fileSize - t.offset) {
                throw ModelFileException(file, t.name, "data [${t.offset}, ${t.offset + t.byteSize}) runs past the end of the file ($fileSize bytes)")
            }
        }
        val sorted = tensors.sortedBy { it.offset }
        for (i in 1 until sorted.size) {
            val prev = sorted[i - 1]
            val cur = sorted[i]
            if (prev.byteSize > 0 && cur.offset < prev.offset + prev.byteSize) {
                throw ModelFileException(file, cur.name, "data overlaps tensor '${prev.name}'")
            }
        }
        return byName
    }
}
