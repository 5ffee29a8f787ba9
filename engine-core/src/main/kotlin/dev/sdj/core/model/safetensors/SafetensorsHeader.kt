package dev.sdj.core.model.safetensors

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.safetensors.StrictJson.excerpt
import java.nio.file.Path

/** The tensors and `__metadata__` a safetensors JSON header declares, each entry checked on its own. */
internal class SafetensorsHeader(val tensors: List<TensorInfo>, val metadata: Map<String, String>) {
    companion object {
        const val METADATA_KEY = "__metadata__"

        /**
         * @param dataStart absolute offset of the data section, which `data_offsets` are relative to
         * @param dataSize bytes from [dataStart] to the end of the file
         */
        fun parse(file: Path, json: ObjectNode, dataStart: Long, dataSize: Long): SafetensorsHeader {
            val tensors = ArrayList<TensorInfo>(json.size())
            var metadata = emptyMap<String, String>()
            for ((name, entry) in json.properties()) {
                if (name == METADATA_KEY) {
                    metadata = metadata(file, entry)
                } else {
                    tensors += tensor(file, name, entry, dataStart, dataSize)
                }
            }
            return SafetensorsHeader(tensors, metadata)
        }

        private fun metadata(file: Path, node: JsonNode): Map<String, String> {
            if (node !is ObjectNode) throw ModelFileException(file, null, "$METADATA_KEY is not a JSON object: ${excerpt(node)}")
            val result = LinkedHashMap<String, String>(node.size() * 2)
            for ((key, value) in node.properties()) {
                if (!value.isTextual) {
                    throw ModelFileException(file, null, "$METADATA_KEY value for '$key' is not a string: ${excerpt(value)}")
                }
                result[key] = value.textValue()
            }
            return result
        }

        private fun tensor(file: Path, name: String, entry: JsonNode, dataStart: Long, dataSize: Long): TensorInfo {
            fun fail(reason: String): Nothing = throw ModelFileException(file, name, reason)
            if (entry !is ObjectNode) fail("entry is not a JSON object: ${excerpt(entry)}")

            val dtype = entry.get("dtype") ?: fail("dtype is missing")
            if (!dtype.isTextual) fail("dtype is not a string: ${excerpt(dtype)}")
            val type = DType.ofSafetensors(dtype.textValue()) ?: fail("unknown dtype '${dtype.textValue().take(80)}'")

            val shapeNode = entry.get("shape") ?: fail("shape is missing")
            val rowMajor = StrictJson.nonNegativeLongs(shapeNode)
                ?: fail("shape must be an array of non-negative integers below 2^63, found ${excerpt(shapeNode)}")
            if (0L in rowMajor) fail("zero-sized tensors are not supported (shape $rowMajor)")

            val offsetsNode = entry.get("data_offsets") ?: fail("data_offsets is missing")
            val offsets = StrictJson.nonNegativeLongs(offsetsNode)?.takeIf { it.size == 2 }
                ?: fail("data_offsets must be two non-negative integers [begin, end], found ${excerpt(offsetsNode)}")
            val (begin, end) = offsets
            if (begin > end) fail("data_offsets [$begin, $end] end before they begin")
            // Checked here, before the absolute offset is computed, so that it cannot overflow.
            if (end > dataSize) fail("data_offsets [$begin, $end] run past the end of the data section ($dataSize bytes)")

            // ggml counts dimensions from the fastest-varying one; a safetensors scalar is one element.
            val shape = if (rowMajor.isEmpty()) listOf(1L) else rowMajor.reversed()
            val expected = type.byteSize(shape) ?: fail("shape $rowMajor overflows: its size in bytes exceeds 2^63")
            if (expected != end - begin) {
                fail("shape $rowMajor of $type needs $expected bytes, data_offsets [$begin, $end] hold ${end - begin}")
            }
            return TensorInfo(name, type, shape, dataStart + begin, end - begin)
        }
    }
}
