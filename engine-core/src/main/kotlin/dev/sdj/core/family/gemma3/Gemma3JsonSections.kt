package dev.sdj.core.family.gemma3

import com.fasterxml.jackson.core.JacksonException
import com.fasterxml.jackson.core.JsonParser
import com.fasterxml.jackson.core.JsonToken
import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.fail
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

/**
 * A tokenizer.json read in one streaming pass: model.vocab and model.merges (262,144 entries and 514,906 pairs in
 * Gemma-3's) straight into lists, everything else as small trees. Reading the whole 33 MB file as a tree took
 * seconds and gigabytes of garbage; this keeps only the strings.
 */
internal class Gemma3JsonSections private constructor(
    /** The top-level object with model.vocab and model.merges left out. */
    val root: ObjectNode,
    /** (token, id) in file order; null when model.vocab is absent. */
    val vocab: List<Pair<String, Int>>?,
    /** (left, right) in rank order; null when model.merges is absent. */
    val merges: List<Pair<String, String>>?,
) {
    companion object {
        /** The real file is 33 MB; the bound turns a wrong file into an error, not an out-of-memory. */
        private const val MAX_BYTES: Long = 256L shl 20

        fun read(file: Path): Gemma3JsonSections {
            try {
                val size = Files.size(file)
                if (size > MAX_BYTES) fail(file, "is $size bytes, more than the ${MAX_BYTES shr 20} MiB a Gemma-3 tokenizer needs")
                val mapper = ObjectMapper()
                mapper.factory.createParser(file.toFile()).use { parser ->
                    if (parser.nextToken() != JsonToken.START_OBJECT) fail(file, "is not a JSON object")
                    return Reader(file, mapper, parser).top()
                }
            } catch (e: JacksonException) {
                fail(file, "is not valid JSON: ${e.originalMessage}")
            } catch (e: IOException) {
                fail(file, "cannot be read (${e.javaClass.simpleName}: ${e.message})")
            }
        }
    }

    private class Reader(val file: Path, val mapper: ObjectMapper, val parser: JsonParser) {
        var vocab: MutableList<Pair<String, Int>>? = null
        var merges: MutableList<Pair<String, String>>? = null

        fun top(): Gemma3JsonSections {
            val root = mapper.createObjectNode()
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                val name = parser.currentName()
                val token = parser.nextToken()
                root.set<JsonNode>(name, if (name == "model" && token == JsonToken.START_OBJECT) model() else tree())
            }
            return Gemma3JsonSections(root, vocab, merges)
        }

        private fun tree(): JsonNode = mapper.readTree(parser)

        private fun model(): ObjectNode {
            val model = mapper.createObjectNode()
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                val name = parser.currentName()
                val token = parser.nextToken()
                when {
                    name == "vocab" && token == JsonToken.START_OBJECT -> vocab = vocab()
                    name == "merges" && token == JsonToken.START_ARRAY -> merges = merges()
                    else -> model.set<JsonNode>(name, tree())
                }
            }
            return model
        }

        private fun vocab(): MutableList<Pair<String, Int>> {
            val entries = ArrayList<Pair<String, Int>>(300_000)
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                val token = parser.currentName()
                if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT || parser.numberType != JsonParser.NumberType.INT) {
                    fail(file, "model.vocab['$token'] is not an integer id: ${tree()}")
                }
                entries.add(token to parser.intValue)
            }
            return entries
        }

        /** `[left, right]` pairs (tokenizers ≥ 0.20) or `"left right"` strings (earlier files). */
        private fun merges(): MutableList<Pair<String, String>> {
            val pairs = ArrayList<Pair<String, String>>(600_000)
            while (true) {
                val token = parser.nextToken()
                if (token == JsonToken.END_ARRAY) return pairs
                val pair = when (token) {
                    JsonToken.START_ARRAY -> {
                        val left = if (parser.nextToken() == JsonToken.VALUE_STRING) parser.text else null
                        val right = if (left != null && parser.nextToken() == JsonToken.VALUE_STRING) parser.text else null
                        if (right == null || parser.nextToken() != JsonToken.END_ARRAY) null else left!! to right
                    }
                    JsonToken.VALUE_STRING -> parser.text.split(' ').takeIf { it.size == 2 }?.let { it[0] to it[1] }
                    else -> null
                } ?: fail(file, "model.merges[${pairs.size}] is not a pair of tokens")
                pairs.add(pair)
            }
        }
    }
}
