package dev.sdj.core.family.t5

import com.fasterxml.jackson.core.JacksonException
import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.family.t5.T5Vocabulary.Companion.fail
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.Base64

/**
 * Reads a Hugging Face tokenizer.json holding a SentencePiece unigram model, the form diffusers ships for Flux's T5
 * (tokenizer_2/). Only the pipeline the SentencePiece converter writes for T5 is accepted: a `Precompiled`
 * normalizer, optionally followed by `Replace` of runs of spaces, and a `Metaspace` pre-tokenizer using `▁`.
 * Anything else is refused by name, since tokenizing it as T5 would silently give other ids.
 */
internal object T5TokenizerJson {
    /** The real file is 1.4 MB (2.4 MB for some variants); the bound turns a wrong file into an error, not an OOM. */
    private const val MAX_BYTES: Long = 64L shl 20

    fun read(file: Path): T5Vocabulary {
        val root = parse(file)
        val model = root.path("model")
        if (model.path("type").asText() != "Unigram") {
            fail(file, "is not a Unigram (SentencePiece) tokenizer: its model type is '${model.path("type").asText()}'")
        }
        val vocab = model.path("vocab")
        if (!vocab.isArray) fail(file, "model.vocab is not a list of [piece, score] pairs")
        val pieces = ArrayList<String>(vocab.size())
        val scores = ArrayList<Double>(vocab.size())
        vocab.forEachIndexed { id, entry ->
            if (!entry.isArray || entry.size() != 2 || !entry[0].isTextual || !entry[1].isNumber) {
                fail(file, "model.vocab[$id] is not a [piece, score] pair: $entry")
            }
            pieces.add(entry[0].textValue())
            scores.add(entry[1].doubleValue())
        }
        val specials = root.path("added_tokens").filter { it.path("special").asBoolean() }.map { it.path("id").asInt() }.toSet()
        val unkId = model.path("unk_id").takeIf { it.isInt }?.intValue()
        checkPreTokenizer(file, root.path("pre_tokenizer"))
        val charsmap = charsmapOf(file, root.path("normalizer"))
        return T5Vocabulary.of(pieces, scores, null, specials, charsmap, unkId, null, null, file)
    }

    private fun parse(file: Path): JsonNode {
        try {
            val size = Files.size(file)
            if (size > MAX_BYTES) fail(file, "is $size bytes, more than the ${MAX_BYTES shr 20} MiB any T5 tokenizer needs")
            return ObjectMapper().readTree(file.toFile()) ?: fail(file, "is empty")
        } catch (e: JacksonException) {
            fail(file, "is not valid JSON: ${e.originalMessage}")
        } catch (e: IOException) {
            fail(file, "cannot be read (${e.javaClass.simpleName}: ${e.message})")
        }
    }

    private fun checkPreTokenizer(file: Path, node: JsonNode) {
        if (node.path("type").asText() != "Metaspace" || node.path("replacement").asText() != METASPACE) {
            fail(file, "has pre_tokenizer $node; a T5 tokenizer uses Metaspace with replacement '$METASPACE'")
        }
    }

    /** The Precompiled map of the normalizer, which may be alone or first in a Sequence. */
    private fun charsmapOf(file: Path, normalizer: JsonNode): PrecompiledCharsmap? {
        val steps = if (normalizer.path("type").asText() == "Sequence") normalizer.path("normalizers").toList() else listOf(normalizer)
        var charsmap: PrecompiledCharsmap? = null
        for (step in steps) {
            when (step.path("type").asText()) {
                "Precompiled" -> {
                    val blob = try {
                        Base64.getDecoder().decode(step.path("precompiled_charsmap").asText())
                    } catch (e: IllegalArgumentException) {
                        fail(file, "the Precompiled normalizer's precompiled_charsmap is not base64: ${e.message}")
                    }
                    charsmap = PrecompiledCharsmap.parse(blob) ?: fail(file, "the Precompiled normalizer's map is malformed")
                }
                "Replace" -> if (step.path("pattern").path("Regex").asText() != " {2,}" || step.path("content").asText() != " ") {
                    fail(file, "has normalizer step $step; T5 only replaces runs of spaces by one space")
                }
                else -> if (!step.isMissingNode && !step.isNull) fail(file, "has normalizer step $step, which T5 does not use")
            }
        }
        return charsmap
    }

    private const val METASPACE = "\u2581"
}
