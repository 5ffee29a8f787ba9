package dev.sdj.core.model.safetensors

import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.channels.WritableByteChannel
import java.nio.file.Path
import java.util.Locale

/**
 * Builds safetensors files, for tiny test models and generators. Tensor data is pulled from each [TensorData] while
 * the file is written, so a file of any size needs no more heap than its header. Files are replaced atomically.
 */
class SafetensorsWriter {
    private class Entry(val name: String, val type: DType, val shape: List<Long>, val byteSize: Long, val data: TensorData)

    private val metadata = LinkedHashMap<String, String>()
    private val entries = LinkedHashMap<String, Entry>()

    fun metadata(key: String, value: String): SafetensorsWriter {
        metadata[key] = value
        return this
    }

    /**
     * @param shape ggml order (dimension 0 fastest-varying), written reversed as safetensors wants; empty for a scalar
     * @param data must write exactly the tensor's byte size, else [write] fails
     */
    fun addTensor(name: String, type: DType, shape: List<Long>, data: TensorData): SafetensorsWriter {
        require(name.isNotEmpty() && name != SafetensorsHeader.METADATA_KEY) { "'$name' cannot name a tensor" }
        require(name !in entries) { "tensor '$name' was already added" }
        require(type.safetensorsName != null) { "tensor '$name': $type has no safetensors dtype" }
        require(shape.all { it > 0 }) { "tensor '$name': dimensions must be positive, got $shape" }
        val byteSize = requireNotNull(type.byteSize(shape)) { "tensor '$name': shape $shape of $type is too large" }
        entries[name] = Entry(name, type, shape.toList(), byteSize, data)
        return this
    }

    /** Writes all tensors, in the order they were added, to one file. */
    fun write(path: Path) {
        val header = header()
        writeAtomically(path) { channel ->
            while (header.hasRemaining()) channel.write(header)
            for (entry in entries.values) writeData(channel, entry)
        }
    }

    /**
     * Splits the tensors, in order, into shards of at most [maxShardBytes] data bytes (a larger tensor gets a shard
     * of its own) named `baseName-00001-of-0000N.safetensors`, and writes `baseName.safetensors.index.json`.
     *
     * @return the index file
     */
    fun writeSharded(dir: Path, baseName: String, maxShardBytes: Long): Path {
        require(maxShardBytes > 0) { "maxShardBytes must be positive, got $maxShardBytes" }
        require(entries.isNotEmpty()) { "no tensors to write" }
        val groups = ArrayList<MutableList<Entry>>()
        var groupBytes = 0L
        for (entry in entries.values) {
            if (groups.isEmpty() || groupBytes + entry.byteSize > maxShardBytes) {
                groups += ArrayList<Entry>()
                groupBytes = 0
            }
            groups.last() += entry
            groupBytes += entry.byteSize
        }
        val index = StrictJson.mapper.createObjectNode()
        index.putObject("metadata").put("total_size", entries.values.sumOf { it.byteSize })
        val weightMap = index.putObject("weight_map")
        for ((i, group) in groups.withIndex()) {
            val shardName = String.format(Locale.ROOT, "%s-%05d-of-%05d.safetensors", baseName, i + 1, groups.size)
            val shard = SafetensorsWriter()
            shard.metadata.putAll(metadata)
            for (entry in group) {
                shard.entries[entry.name] = entry
                weightMap.put(entry.name, shardName)
            }
            shard.write(dir.resolve(shardName))
        }
        // Written last: until the index exists, the shards are not a model anyone would load.
        val indexPath = dir.resolve("$baseName.safetensors.index.json")
        val bytes = ByteBuffer.wrap(StrictJson.mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(index))
        writeAtomically(indexPath) { channel -> while (bytes.hasRemaining()) channel.write(bytes) }
        return indexPath
    }

    private fun header(): ByteBuffer {
        val json = StrictJson.mapper.createObjectNode()
        if (metadata.isNotEmpty()) {
            val node = json.putObject(SafetensorsHeader.METADATA_KEY)
            for ((key, value) in metadata) node.put(key, value)
        }
        var offset = 0L
        for (entry in entries.values) {
            val end = Math.addExact(offset, entry.byteSize)
            val node = json.putObject(entry.name)
            node.put("dtype", entry.type.safetensorsName)
            val shape = node.putArray("shape")
            for (n in entry.shape.asReversed()) shape.add(n)
            node.putArray("data_offsets").add(offset).add(end)
            offset = end
        }
        val text = StrictJson.mapper.writeValueAsBytes(json)
        // Spaces after the JSON make the data section start 8-byte aligned, which lets readers map it as any type.
        val headerLength = (text.size + 7) / 8 * 8
        val buffer = ByteBuffer.allocate(8 + headerLength).order(ByteOrder.LITTLE_ENDIAN)
        buffer.putLong(headerLength.toLong()).put(text)
        while (buffer.hasRemaining()) buffer.put(' '.code.toByte())
        return buffer.flip()
    }

    private fun writeData(channel: FileChannel, entry: Entry) {
        val counting = CountingChannel(channel)
        entry.data.writeTo(counting)
        check(counting.count == entry.byteSize) {
            "tensor '${entry.name}' wrote ${counting.count} bytes, its ${entry.type} shape ${entry.shape} needs ${entry.byteSize}"
        }
    }

    /** Counts what a [TensorData] writes; closing it leaves the file open, since the writer owns the file. */
    private class CountingChannel(private val out: WritableByteChannel) : WritableByteChannel {
        var count = 0L
            private set

        override fun write(src: ByteBuffer): Int = out.write(src).also { count += it }

        override fun isOpen(): Boolean = out.isOpen

        override fun close() = Unit
    }
}
