package dev.sdj.core.image

import com.fasterxml.jackson.databind.ObjectMapper

/**
 * What AUTOMATIC1111's `parse_generation_parameters` (infotext_utils.py) reads from an infotext: the prompt lines, the
 * lines from "Negative prompt:" on, and the last line's "Key: value" pairs (when it has at least three), JSON-quoted
 * values unquoted. Only for reading back what sdj writes.
 */
object A1111InfotextReader {
    private val PARAM = Regex("""\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)""")
    private val JSON = ObjectMapper()

    fun read(text: String): Map<String, String> {
        var lines = text.trim().split("\n")
        var last = lines.last()
        if (PARAM.findAll(last).count() < 3) last = "" else lines = lines.dropLast(1)
        val prompt = ArrayList<String>()
        val negative = ArrayList<String>()
        for (raw in lines) {
            var line = raw.trim()
            if (line.startsWith("Negative prompt:")) line = line.removePrefix("Negative prompt:").trim().also { negative.add(it) }
            else if (negative.isEmpty()) prompt.add(line) else negative.add(line)
        }
        val out = linkedMapOf("Prompt" to prompt.joinToString("\n"), "Negative prompt" to negative.joinToString("\n"))
        for (m in PARAM.findAll(last)) {
            val (key, value) = m.destructured
            out[key] = if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) JSON.readValue(value, String::class.java) else value
        }
        return out
    }
}
