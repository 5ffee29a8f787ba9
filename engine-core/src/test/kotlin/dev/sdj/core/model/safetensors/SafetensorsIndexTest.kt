package dev.sdj.core.model.safetensors

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.safetensors.SafetensorsSamples.assertHolds
import dev.sdj.core.model.safetensors.SafetensorsSamples.everyType
import dev.sdj.core.model.safetensors.SafetensorsSamples.writer
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class SafetensorsIndexTest {
    @TempDir
    lateinit var dir: Path

    private val samples = everyType(seed = 2)
    private val mapper = ObjectMapper()

    private fun writeSharded(): Path = writer(samples, mapOf("format" to "pt")).writeSharded(dir, "model", maxShardBytes = 40)

    private fun editIndex(index: Path, edit: (weightMap: ObjectNode) -> Unit) {
        val json = mapper.readTree(index.toFile()) as ObjectNode
        edit(json["weight_map"] as ObjectNode)
        mapper.writeValue(index.toFile(), json)
    }

    private fun assertRejected(index: Path, tensor: String?, vararg reasonParts: String): ModelFileException {
        val e = assertThrows<ModelFileException> { SafetensorsIndex.read(index) }
        assertEquals(index, e.file(), e.message)
        assertEquals(tensor, e.tensor().orElse(null), e.message)
        for (part in reasonParts) assertTrue(e.reason().contains(part), "expected '$part' in: ${e.message}")
        return e
    }

    @Test
    fun `sharded round trip reads back every tensor in order`() {
        val index = writeSharded()
        assertEquals(dir.resolve("model.safetensors.index.json"), index)

        val read = SafetensorsIndex.read(index)
        val shardCount = read.shards.size
        assertTrue(shardCount > 2, "expected several shards, got $shardCount")
        val names = (1..shardCount).map { "model-%05d-of-%05d.safetensors".format(it, shardCount) }
        assertEquals(names, read.shards.map { it.path.fileName.toString() })
        assertEquals(samples.map { it.name }, read.tensors.map { it.second.name })
        assertEquals(mapOf("total_size" to samples.sumOf { it.bytes.size }.toString()), read.metadata)
        for (shard in read.shards) {
            assertEquals(mapOf("format" to "pt"), shard.stringMetadata)
            assertTrue(shard.tensors.sumOf { it.byteSize } <= 40 || shard.tensors.size == 1, "shard ${shard.path} is too large")
            assertHolds(shard, samples.filter { s -> shard.tensors.any { it.name == s.name } })
        }
        for ((shard, info) in read.tensors) assertEquals(info, shard.tensor(info.name))
    }

    @Test
    fun `one shard when everything fits`() {
        val index = writer(samples).writeSharded(dir, "small", maxShardBytes = Long.MAX_VALUE)
        val read = SafetensorsIndex.read(index)
        assertEquals("small-00001-of-00001.safetensors", read.shards.single().path.fileName.toString())
        assertHolds(read.shards.single(), samples)
    }

    @Test
    fun `a weight_map entry pointing to a missing shard`() {
        val index = writeSharded()
        val read = SafetensorsIndex.read(index)
        val victim = read.shards[1]
        Files.delete(victim.path)
        val shardName = victim.path.fileName.toString()
        assertRejected(index, victim.tensors.first().name, "shard '$shardName' does not exist")
    }

    @Test
    fun `a tensor missing from its shard`() {
        val index = writeSharded()
        val read = SafetensorsIndex.read(index)
        val tensor = read.shards[0].tensors.first().name
        val otherShard = read.shards[1].path.fileName.toString()
        editIndex(index) { it.put(tensor, otherShard) }
        assertRejected(index, tensor, "shard '$otherShard' has no such tensor")
    }

    @Test
    fun `a shard holding a tensor the index does not list`() {
        val index = writeSharded()
        val read = SafetensorsIndex.read(index)
        // A shard holding one other tensor: the index must still name it, or it is never opened.
        val shard = read.shards.first { it.tensors.size > 1 }
        val tensor = shard.tensors.last().name
        editIndex(index) { it.remove(tensor) }
        assertRejected(index, tensor, "shard '${shard.path.fileName}' has this tensor, but the index does not list it")
    }

    @Test
    fun `shard names that leave the directory`() {
        val index = writeSharded()
        val tensor = samples.first().name
        Files.createDirectory(dir.resolve("sub"))
        for (name in listOf("../model-00001-of-00008.safetensors", "..", ".", "sub/x.safetensors", "/etc/passwd", "a\\b", "")) {
            editIndex(index) { it.put(tensor, name) }
            assertRejected(index, tensor, "is not a plain file name in the index's directory")
        }
    }

    @Test
    fun `a corrupt shard is reported against the shard`() {
        val index = writeSharded()
        val shard = SafetensorsIndex.read(index).shards[2].path
        Files.write(shard, Files.readAllBytes(shard).copyOf(6))
        val e = assertThrows<ModelFileException> { SafetensorsIndex.read(index) }
        assertEquals(shard, e.file())
    }

    @Test
    fun `malformed index files`() {
        val index = dir.resolve("model.safetensors.index.json")
        val cases = mapOf(
            "[]" to "index is not a JSON object: it is a JSON array",
            "{" to "index is not valid JSON",
            """{"metadata": {}}""" to "weight_map is missing",
            """{"weight_map": []}""" to "weight_map is not a JSON object",
            """{"weight_map": {}}""" to "weight_map lists no tensors",
            """{"metadata": [], "weight_map": {"a": "b"}}""" to "metadata is not a JSON object",
            """{"metadata": {"k": {}}, "weight_map": {"a": "b"}}""" to "metadata value for 'k' is not a string or number",
            """{"weight_map": {"a": "x", "a": "y"}}""" to "Duplicate field 'a'",
        )
        for ((text, reason) in cases) {
            Files.writeString(index, text)
            assertRejected(index, null, reason)
        }
        Files.writeString(index, """{"weight_map": {"a": 3}}""")
        assertRejected(index, "a", "shard name is not a string: 3")
        Files.delete(index)
        assertRejected(index, null, "no such file")
    }
}
