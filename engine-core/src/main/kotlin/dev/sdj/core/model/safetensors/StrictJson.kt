package dev.sdj.core.model.safetensors

import com.fasterxml.jackson.core.JsonParser
import com.fasterxml.jackson.core.JsonProcessingException
import com.fasterxml.jackson.databind.DeserializationFeature
import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.node.ObjectNode
import com.fasterxml.jackson.databind.json.JsonMapper
import dev.sdj.api.ModelFileException
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction
import java.nio.charset.StandardCharsets
import java.nio.file.Path

/** JSON as safetensors headers and index files use it: UTF-8, one object, no repeated keys, nothing after it. */
internal object StrictJson {
    val mapper: JsonMapper = JsonMapper.builder()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build()

    /** @param what how messages name the text, e.g. "header" */
    fun parseObject(file: Path, bytes: ByteBuffer, what: String): ObjectNode {
        // Decoded here rather than by Jackson, which would sniff UTF-16 and UTF-32 from the first bytes.
        val text = try {
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(bytes)
                .toString()
        } catch (e: CharacterCodingException) {
            throw ModelFileException(file, null, "$what is not valid UTF-8", e)
        }
        val node = try {
            mapper.readTree(text)
        } catch (e: JsonProcessingException) {
            val at = e.location?.let { " (line ${it.lineNr}, column ${it.columnNr})" } ?: ""
            throw ModelFileException(file, null, "$what is not valid JSON: ${e.originalMessage}$at", e)
        }
        if (node !is ObjectNode) {
            val found = if (node.isMissingNode) "empty" else "a JSON ${node.nodeType.name.lowercase()}"
            throw ModelFileException(file, null, "$what is not a JSON object: it is $found")
        }
        return node
    }

    /** The values of [node] when it is an array of integers in [0, Long.MAX_VALUE], else null. */
    fun nonNegativeLongs(node: JsonNode): List<Long>? {
        if (!node.isArray) return null
        return node.map { n ->
            if (!n.isIntegralNumber || !n.canConvertToLong() || n.longValue() < 0) return null
            n.longValue()
        }
    }

    /** [node] as JSON text, cut short so that a hostile header cannot produce a megabyte-long message. */
    fun excerpt(node: JsonNode): String {
        val text = node.toString()
        return if (text.length <= 80) text else text.take(77) + "..."
    }
}
