package dev.sdj.core.model.safetensors

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.ModelPaths
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.safetensors.StrictJson.excerpt
import java.io.IOException
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.InvalidPathException
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * A sharded model: a `*.safetensors.index.json` whose `weight_map` sends each tensor to a shard in the same
 * directory. Every shard is parsed, and the map must match the shards exactly, since any difference means a broken
 * or mixed-up download.
 *
 * @property shards in the order the weight map first names them
 * @property tensors in weight map order, each with the shard holding it
 * @property metadata the index's `metadata`, numbers (such as `total_size`) as their decimal text
 */
class SafetensorsIndex private constructor(
    val path: Path,
    val metadata: Map<String, String>,
    val shards: List<SafetensorsFile>,
    val tensors: List<Pair<SafetensorsFile, TensorInfo>>,
) {
    companion object {
        fun read(indexPath: Path): SafetensorsIndex {
            val json = readJson(indexPath)
            val metadata = metadata(indexPath, json.get("metadata"))
            val weightMap = weightMap(indexPath, json)
            val shards = LinkedHashMap<String, SafetensorsFile>()
            for ((tensor, shardName) in weightMap) {
                if (shardName !in shards) shards[shardName] = openShard(indexPath, tensor, shardName)
            }
            val tensors = weightMap.map { (tensor, shardName) ->
                val shard = shards.getValue(shardName)
                val info = shard.tensor(tensor)
                    ?: throw ModelFileException(indexPath, tensor, "shard '$shardName' has no such tensor")
                shard to info
            }
            for ((shardName, shard) in shards) {
                val unlisted = shard.tensors.firstOrNull { weightMap[it.name] != shardName }
                if (unlisted != null) {
                    throw ModelFileException(indexPath, unlisted.name, "shard '$shardName' has this tensor, but the index does not list it there")
                }
            }
            return SafetensorsIndex(indexPath, metadata, shards.values.toList(), tensors)
        }

        private fun readJson(indexPath: Path): ObjectNode {
            ModelPaths.requireRegularFile(indexPath, "an index file")
            return try {
                FileChannel.open(indexPath, StandardOpenOption.READ).use { channel ->
                    val size = channel.size()
                    if (size > SafetensorsFile.MAX_HEADER_BYTES) {
                        throw ModelFileException(indexPath, null, "index is $size bytes, over the limit of ${SafetensorsFile.MAX_HEADER_BYTES}")
                    }
                    StrictJson.parseObject(indexPath, readExactly(indexPath, channel, 0, size.toInt()), "index")
                }
            } catch (e: NoSuchFileException) {
                throw ModelFileException(indexPath, null, "no such file", e)
            } catch (e: IOException) {
                throw ModelFileException(indexPath, null, "cannot read the file: $e", e)
            }
        }

        private fun metadata(indexPath: Path, node: JsonNode?): Map<String, String> {
            if (node == null) return emptyMap()
            if (node !is ObjectNode) throw ModelFileException(indexPath, null, "metadata is not a JSON object: ${excerpt(node)}")
            // Writers put numbers here (transformers' total_size), so numbers are accepted beside strings.
            return node.properties().associate { (key, value) ->
                if (!value.isTextual && !value.isNumber) {
                    throw ModelFileException(indexPath, null, "metadata value for '$key' is not a string or number: ${excerpt(value)}")
                }
                key to value.asText()
            }
        }

        private fun weightMap(indexPath: Path, json: ObjectNode): Map<String, String> {
            val node = json.get("weight_map") ?: throw ModelFileException(indexPath, null, "weight_map is missing")
            if (node !is ObjectNode) throw ModelFileException(indexPath, null, "weight_map is not a JSON object: ${excerpt(node)}")
            if (node.isEmpty) throw ModelFileException(indexPath, null, "weight_map lists no tensors")
            return node.properties().associate { (tensor, shard) ->
                if (!shard.isTextual) throw ModelFileException(indexPath, tensor, "shard name is not a string: ${excerpt(shard)}")
                tensor to shard.textValue()
            }
        }

        private fun openShard(indexPath: Path, tensor: String, shardName: String): SafetensorsFile {
            val dir = indexPath.toAbsolutePath().parent
            // Only a plain file name can be trusted not to leave the model's directory.
            val plainName = shardName.isNotEmpty() && shardName != "." && shardName != ".." &&
                shardName.none { it == '/' || it == '\\' || it == '\u0000' }
            val shardPath = try {
                if (plainName) dir.resolve(shardName) else null
            } catch (e: InvalidPathException) {
                null
            }
            if (shardPath == null || shardPath.parent != dir || shardPath.fileName.toString() != shardName) {
                throw ModelFileException(indexPath, tensor, "shard name '${shardName.take(200)}' is not a plain file name in the index's directory")
            }
            if (!Files.exists(shardPath)) {
                throw ModelFileException(indexPath, tensor, "shard '$shardName' does not exist in $dir")
            }
            return SafetensorsFile.read(shardPath)
        }
    }
}
