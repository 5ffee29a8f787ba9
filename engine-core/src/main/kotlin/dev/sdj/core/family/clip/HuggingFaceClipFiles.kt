package dev.sdj.core.family.clip

import com.fasterxml.jackson.databind.ObjectMapper
import java.nio.file.Files
import java.nio.file.Path

/** Writes a CLIP vocabulary as Hugging Face's tokenizer folders hold it, for the generated test and benchmark models. */
object HuggingFaceClipFiles {
    /**
     * vocab.json (token → id in [tokens]' order) and merges.txt (a version line, then [merges]) in [folder], created if
     * needed; vocab.json is written last, so its presence marks a complete folder.
     */
    fun write(folder: Path, tokens: List<String>, merges: List<String>): Path {
        Files.createDirectories(folder)
        Files.writeString(folder.resolve("merges.txt"), (listOf("#version: 0.2") + merges).joinToString("\n", postfix = "\n"))
        val json = ObjectMapper()
        val ids = json.createObjectNode().apply { tokens.forEachIndexed { id, token -> put(token, id) } }
        Files.writeString(folder.resolve(VOCAB), json.writeValueAsString(ids))
        return folder
    }

    const val VOCAB = "vocab.json"
}
