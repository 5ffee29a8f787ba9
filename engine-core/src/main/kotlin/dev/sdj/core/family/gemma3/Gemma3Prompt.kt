package dev.sdj.core.family.gemma3

/**
 * A prompt's token ids laid out as stable-diffusion.cpp's LTX-2 conditioner lays them out: `<bos>` then the prompt,
 * padded on the left with `<pad>` to at least [LENGTH] tokens (Gemma's tokenizer pads left; no `<eos>`; a longer
 * prompt is not cut, the sequence grows). [padding] tokens come first and are masked out as keys.
 */
class Gemma3Prompt private constructor(val ids: IntArray, val padding: Int) {
    /** The tokens that are not padding: `<bos>` and the prompt. */
    val valid: Int get() = ids.size - padding

    companion object {
        /** Gemma's `<pad>` id. */
        const val PAD = 0

        /** Gemma's `<bos>` id. */
        const val BOS = 2

        /** sd.cpp's LTXAVEmbedder kMinLength. */
        const val LENGTH = 1024

        /** [tokens] (the prompt without `<bos>`) as the encoder takes them, at least [length] long. */
        fun of(tokens: IntArray, length: Int = LENGTH): Gemma3Prompt {
            val total = maxOf(length, tokens.size + 1)
            val padding = total - tokens.size - 1
            val ids = IntArray(total) { PAD }
            ids[padding] = BOS
            tokens.copyInto(ids, padding + 1)
            return Gemma3Prompt(ids, padding)
        }
    }
}
