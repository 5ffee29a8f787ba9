package dev.sdj.core.image

/**
 * What produced an image, written into its PNG as the "parameters" text that AUTOMATIC1111's web UI writes and reads
 * back ("PNG Info", "Send to txt2img"), and that stable-diffusion.cpp's CLI also writes.
 *
 * @param modelHash A1111's short hash of the checkpoint, see [modelHash]; left out of the text when null, as A1111
 *   does when hashing is off
 * @param extra further "Key: value" pairs appended after the standard ones in the map's iteration order (A1111 keeps
 *   insertion order), e.g. "Clip skip", "RNG", "Version"
 * @param scheduleType A1111's "Schedule type" (e.g. "Karras"), written after the sampler; null for the model's own
 * @param model A1111's "Model": the checkpoint's file name without its extension
 */
data class GenerationParameters @JvmOverloads constructor(
    val prompt: String,
    val negativePrompt: String,
    val seed: Long,
    val steps: Int,
    val sampler: String,
    val cfgScale: Double,
    val width: Int,
    val height: Int,
    val modelHash: String? = null,
    val extra: Map<String, String> = emptyMap(),
    val scheduleType: String? = null,
    val model: String? = null,
) {
    init {
        require(steps > 0) { "steps must be positive, got $steps" }
        require(width > 0 && height > 0) { "size must be positive, got ${width}x$height" }
        require(cfgScale.isFinite()) { "CFG scale must be finite, got $cfgScale" }
        for (key in extra.keys) {
            // A1111 parses the last line with \w[\w \-/]+ keys; another key would not read back.
            require(KEY.matches(key)) { "extra key '$key' is not an A1111 infotext key (a word character, then word characters, spaces, '-' or '/')" }
            require(key !in STANDARD_KEYS) { "extra key '$key' repeats a standard parameter" }
        }
    }

    /**
     * The text as A1111's `create_infotext` builds it: the prompt; "Negative prompt: " and the negative prompt when
     * there is one; then "Key: value" pairs joined by ", ", each value quoted when it contains a comma, colon or
     * newline; the whole trimmed. For example
     * ```
     * a cat
     * Negative prompt: blurry
     * Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Size: 512x512, Model hash: abcd1234ef
     * ```
     */
    fun infotext(): String {
        val pairs = LinkedHashMap<String, String>()
        pairs["Steps"] = steps.toString()
        pairs["Sampler"] = sampler
        scheduleType?.let { pairs["Schedule type"] = it }
        pairs["CFG scale"] = number(cfgScale)
        pairs["Seed"] = seed.toString()
        pairs["Size"] = "${width}x$height"
        modelHash?.let { pairs["Model hash"] = it }
        model?.let { pairs["Model"] = it }
        pairs.putAll(extra)
        val line = pairs.entries.joinToString(", ") { (k, v) -> "$k: ${quote(v)}" }
        val negative = if (negativePrompt.isEmpty()) "" else "\nNegative prompt: $negativePrompt"
        return "$prompt$negative\n$line".trim()
    }

    /** The PNG text for these parameters: the "parameters" key alone, which is all that A1111 reads. */
    fun toPngText(): Map<String, String> = mapOf(PNG_KEY to infotext())

    companion object {
        const val PNG_KEY = "parameters"
        private val KEY = Regex("""(?U)\w[\w \-/]+""")
        private val STANDARD_KEYS = setOf("Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model")

        /** Python prints 7.0 as "7.0" but A1111's UI hands over 7, so integral values are written without ".0". */
        private fun number(v: Double): String = java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString()

        /**
         * A1111's `infotext_utils.quote`: values with a comma, newline or colon become a JSON string as
         * `json.dumps(v, ensure_ascii=False)` writes it, so that the line still splits on ", " and "Key: ".
         */
        internal fun quote(v: String): String {
            if (',' !in v && '\n' !in v && ':' !in v) return v
            val out = StringBuilder(v.length + 2).append('"')
            for (ch in v) {
                when (ch) {
                    '"' -> out.append("\\\"")
                    '\\' -> out.append("\\\\")
                    '\n' -> out.append("\\n")
                    '\r' -> out.append("\\r")
                    '\t' -> out.append("\\t")
                    '\b' -> out.append("\\b")
                    '\u000C' -> out.append("\\f")
                    else -> if (ch < ' ') out.append("\\u").append(ch.code.toString(16).padStart(4, '0')) else out.append(ch)
                }
            }
            return out.append('"').toString()
        }
    }
}
