package dev.sdj.core.family.t5

import dev.sdj.api.ModelFileException
import java.nio.file.Files
import java.nio.file.Path

/**
 * Finds a T5 vocabulary on disk: a tokenizer.json or spiece.model named directly, or a folder holding one (a
 * diffusers model's tokenizer_2/, or the model folder above it). The engine ships no T5 vocabulary, so when none is
 * found the error names the files to get.
 */
object T5TokenizerFiles {
    const val TOKENIZER_JSON = "tokenizer.json"
    const val SPIECE_MODEL = "spiece.model"

    fun load(path: Path): T5Vocabulary {
        val file = locate(path)
        return if (file.fileName.toString().endsWith(".json")) {
            T5Vocabulary.fromTokenizerJson(file)
        } else {
            T5Vocabulary.fromSentencePieceModel(file)
        }
    }

    /** The tokenizer file [path] names or holds; a path with none is refused, naming the files to get. */
    fun locate(path: Path): Path = find(path) ?: throw ModelFileException(path, null, "holds no T5 tokenizer: get " +
        "$TOKENIZER_JSON or $SPIECE_MODEL from the tokenizer_2/ folder of the model's diffusers release (FLUX.1-schnell " +
        "or FLUX.1-dev) and name that file or its folder")

    /**
     * tokenizer.json is preferred over spiece.model in a folder: it is what diffusers itself loads for Flux. Null
     * when [path] names or holds neither.
     */
    fun find(path: Path): Path? {
        if (Files.isRegularFile(path)) {
            val name = path.fileName.toString()
            return path.takeIf { name.endsWith(".json") || name.endsWith(".model") }
        }
        if (!Files.isDirectory(path)) return null
        return listOf(path, path.resolve("tokenizer_2"))
            .flatMap { listOf(it.resolve(TOKENIZER_JSON), it.resolve(SPIECE_MODEL)) }
            .firstOrNull { Files.isRegularFile(it) }
    }
}
