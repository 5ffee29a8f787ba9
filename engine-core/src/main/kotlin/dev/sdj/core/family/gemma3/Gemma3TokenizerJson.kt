package dev.sdj.core.family.gemma3

import com.fasterxml.jackson.databind.JsonNode
import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.checkId
import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.denseTokens
import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.fail
import java.nio.file.Path

/**
 * Reads the tokenizer.json of google/gemma-3-*: a BPE model (vocab, merges, byte_fallback), a `Replace` normalizer
 * turning spaces into `▁`, a pre-tokenizer that is either absent or splits on the spaces already replaced, added
 * tokens matched verbatim, and a `TemplateProcessing` post-processor putting special tokens around the text.
 * Anything that would make Hugging Face tokenize differently from [Gemma3Tokenizer] (another normalizer, dropout,
 * subword prefixes, added tokens that strip spaces or are matched after normalization) is refused by name.
 */
internal object Gemma3TokenizerJson {
    private const val METASPACE = "\u2581"

    fun read(file: Path): Gemma3Vocabulary {
        val sections = Gemma3JsonSections.read(file)
        val root = sections.root
        val model = root.path("model")
        if (model.path("type").asText() != "BPE") {
            fail(file, "is not a BPE tokenizer as Gemma-3 uses: its model type is '${model.path("type").asText()}'")
        }
        checkModelOptions(file, model)
        checkNormalizer(file, root.path("normalizer"))
        checkPreTokenizer(file, root.path("pre_tokenizer"))
        val vocab = sections.vocab ?: fail(file, "model.vocab is not an object of token: id")
        val modelSize = vocab.size
        val entries = HashMap<Int, String>(modelSize * 2)
        for ((token, id) in vocab) {
            if (id !in 0 until modelSize) fail(file, "model.vocab['$token'] has id $id; the ids of $modelSize tokens must be 0..${modelSize - 1}")
            if (entries.put(id, token) != null) fail(file, "model.vocab gives id $id to two tokens")
        }
        val added = addedTokens(file, root.path("added_tokens"), entries)
        val tokens = denseTokens(entries, file)
        val ids = HashMap<String, Int>(modelSize * 2).apply { for (id in 0 until modelSize) put(tokens[id], id) }
        val merges = merges(file, sections.merges ?: fail(file, "model.merges is not a list"), ids)
        val unk = model.path("unk_token").takeIf { it.isTextual }?.let { name ->
            ids[name.textValue()] ?: added.firstOrNull { tokens[it] == name.textValue() }
                ?: fail(file, "model.unk_token '${name.textValue()}' is not a token")
        }
        val (prefix, suffix) = template(file, root.path("post_processor"), tokens.size)
        fun named(name: String) = ids[name] ?: added.firstOrNull { tokens[it] == name }
        return Gemma3Vocabulary(
            tokens, merges, added, model.path("byte_fallback").asBoolean(false), model.path("fuse_unk").asBoolean(false),
            checkId(unk, tokens.size, "unknown", file), named("<bos>"), named("<eos>"), named("<pad>"), prefix, suffix, modelSize,
        )
    }

    private fun checkModelOptions(file: Path, model: JsonNode) {
        val dropout = model.path("dropout")
        if (!dropout.isMissingNode && !dropout.isNull && dropout.asDouble() != 0.0) {
            fail(file, "has BPE dropout $dropout, which makes tokenization random")
        }
        for (key in listOf("continuing_subword_prefix", "end_of_word_suffix")) {
            val value = model.path(key)
            if (!value.isMissingNode && !value.isNull && value.asText().isNotEmpty()) fail(file, "has model.$key '${value.asText()}', which Gemma-3 does not use")
        }
        if (model.path("ignore_merges").asBoolean(false)) fail(file, "has model.ignore_merges true, which Gemma-3 does not use")
    }

    /** Gemma-3's only normalization: every space becomes `▁` (alone, or as the one step of a Sequence). */
    private fun checkNormalizer(file: Path, node: JsonNode) {
        val steps = if (node.path("type").asText() == "Sequence") node.path("normalizers").toList() else listOf(node)
        val ok = steps.size == 1 && steps[0].path("type").asText() == "Replace" &&
            steps[0].path("pattern").path("String").asText() == " " && steps[0].path("content").asText() == METASPACE
        if (!ok) fail(file, "has normalizer $node; Gemma-3 only replaces ' ' by '$METASPACE'")
    }

    /** None, or a Split on the literal space: after normalization there is no space left, so either keeps one piece. */
    private fun checkPreTokenizer(file: Path, node: JsonNode) {
        if (node.isMissingNode || node.isNull) return
        val ok = node.path("type").asText() == "Split" && node.path("pattern").path("String").asText() == " " &&
            !node.path("invert").asBoolean(false)
        if (!ok) fail(file, "has pre_tokenizer $node; Gemma-3 has none, or a Split on ' '")
    }

    /** Adds the added tokens to [entries] (checking those that are also model tokens agree) and returns their ids. */
    private fun addedTokens(file: Path, list: JsonNode, entries: MutableMap<Int, String>): List<Int> {
        if (list.isMissingNode || list.isNull) return emptyList()
        if (!list.isArray) fail(file, "added_tokens is not a list")
        return list.map { token ->
            val id = token.path("id")
            val content = token.path("content")
            if (!id.isInt || !content.isTextual) fail(file, "added token $token lacks an integer id or a content string")
            for (flag in listOf("lstrip", "rstrip", "single_word", "normalized")) {
                if (token.path(flag).asBoolean(false)) fail(file, "added token '${content.textValue()}' has $flag true, which Gemma-3's tokens never have")
            }
            val known = entries.putIfAbsent(id.intValue(), content.textValue())
            if (known != null && known != content.textValue()) {
                fail(file, "added token id ${id.intValue()} is '${content.textValue()}' but model.vocab has '$known' there")
            }
            id.intValue()
        }
    }

    private fun merges(file: Path, pairs: List<Pair<String, String>>, ids: Map<String, Int>): Gemma3Merges {
        val builder = Gemma3Merges.Builder(pairs.size)
        pairs.forEachIndexed { index, (left, right) ->
            fun id(token: String) = ids[token] ?: fail(file, "model.merges[$index] names '$token', which is not in model.vocab")
            builder.add(id(left), id(right), id(left + right))
        }
        return builder.build()
    }

    /**
     * The special tokens before and after a single sequence, from a TemplateProcessing post-processor (no
     * post-processor: none).
     */
    private fun template(file: Path, node: JsonNode, size: Int): Pair<List<Int>, List<Int>> {
        if (node.isMissingNode || node.isNull) return emptyList<Int>() to emptyList()
        if (node.path("type").asText() != "TemplateProcessing") fail(file, "has post_processor of type '${node.path("type").asText()}'; Gemma-3 uses TemplateProcessing")
        val single = node.path("single")
        val sequences = single.count { it.has("Sequence") }
        if (!single.isArray || sequences != 1) fail(file, "post_processor.single is not one sequence framed by special tokens: $single")
        val prefix = ArrayList<Int>()
        val suffix = ArrayList<Int>()
        var before = true
        for (item in single) {
            if (item.has("Sequence")) {
                before = false
                continue
            }
            val name = item.path("SpecialToken").path("id").asText()
            val ids = node.path("special_tokens").path(name).path("ids")
            if (!ids.isArray || ids.isEmpty) fail(file, "post_processor names special token '$name' without ids")
            for (id in ids) (if (before) prefix else suffix).add(checkId(id.asInt(), size, "'$name'", file)!!)
        }
        return prefix to suffix
    }
}
