package dev.sdj.core.family.gemma3

/**
 * Gemma-3's text to token ids, the ids Hugging Face's tokenizer (GemmaTokenizerFast, tokenizers' BPE) gives:
 * added tokens are cut out of the raw text first; each stretch between them has its spaces replaced by `▁` (the
 * normalizer; no space is put in front, unlike Llama or T5) and is encoded by BPE with byte fallback as one piece,
 * since Gemma-3's pre-tokenizer splits on spaces that the normalizer has already replaced; then `<bos>` is put in
 * front when special tokens are added.
 */
class Gemma3Tokenizer(val vocabulary: Gemma3Vocabulary) {
    private val bpe = Gemma3Bpe(vocabulary)

    /**
     * The ids of [text]; with [addSpecialTokens] (Hugging Face's default) framed by the vocabulary's prefix and suffix,
     * which for Gemma-3 is `<bos>` in front and nothing after.
     */
    fun encode(text: String, addSpecialTokens: Boolean = true): List<Int> {
        val ids = ArrayList<Int>(text.length / 3 + 2)
        if (addSpecialTokens) ids.addAll(vocabulary.prefix)
        vocabulary.added.split(text, { plain -> bpe.encode(plain.replace(' ', METASPACE), ids) }, { ids.add(it) })
        if (addSpecialTokens) ids.addAll(vocabulary.suffix)
        return ids
    }

    private companion object {
        const val METASPACE = '\u2581'
    }
}
