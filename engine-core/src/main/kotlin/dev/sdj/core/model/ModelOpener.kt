package dev.sdj.core.model

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.t5.T5GgufVocabulary
import dev.sdj.core.family.t5.T5TokenizerFiles
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.safetensors.SafetensorsFile
import dev.sdj.core.model.safetensors.SafetensorsIndex
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

/**
 * Opens what a user points at — a single checkpoint, a sharded safetensors index, a diffusers folder, or separate
 * component files — into [ModelInput]s, and finds the tokenizer files that come with them.
 */
object ModelOpener {
    private val DIFFUSERS_FOLDERS = linkedMapOf(
        "unet" to ComponentKind.DIFFUSION_MODEL,
        "transformer" to ComponentKind.DIFFUSION_MODEL,
        "text_encoder" to ComponentKind.TEXT_ENCODER,
        "text_encoder_2" to ComponentKind.TEXT_ENCODER_2,
        "text_encoder_3" to ComponentKind.TEXT_ENCODER_3,
        "vae" to ComponentKind.VAE,
        "audio_vae" to ComponentKind.AUDIO_VAE,
        "vocoder" to ComponentKind.VOCODER,
        // LTX-2's text connectors run with the DiT; their names (video_connector.…) never collide with its blocks.
        "connectors" to ComponentKind.DIFFUSION_MODEL,
    )

    /** The opened inputs and the tokenizer sources found with them (per text-encoder slot). */
    data class Opened(val inputs: List<ModelInput>, val tokenizers: Map<ComponentKind, TokenizerSource>)

    /**
     * @param tokenizer a path the user gave for the (first) text encoder's tokenizer, taking precedence
     * @param t5Tokenizer a path the user gave for a T5 second text encoder's tokenizer (tokenizer.json, spiece.model
     *   or a folder holding one), taking precedence over the model's own
     */
    @JvmOverloads
    fun open(paths: List<Path>, tokenizer: Path? = null, t5Tokenizer: Path? = null): Opened {
        require(paths.isNotEmpty()) { "no model files given" }
        val inputs = ArrayList<ModelInput>()
        val tokenizers = LinkedHashMap<ComponentKind, TokenizerSource>()
        for (path in paths) {
            if (ModelPaths.requireExisting(path).isDirectory) openFolder(path, inputs, tokenizers) else inputs.add(openFile(path, null))
        }
        for (input in inputs) {
            val gguf = input.tensors.firstOrNull()?.first as? GgufFile ?: continue
            ggufTokenizer(gguf)?.let { tokenizers.putIfAbsent(ComponentKind.TEXT_ENCODER, it) }
            ggufT5Tokenizer(gguf)?.let { tokenizers.putIfAbsent(ComponentKind.TEXT_ENCODER_2, it) }
        }
        if (tokenizer != null) tokenizers[ComponentKind.TEXT_ENCODER] = userTokenizer(tokenizer)
        if (t5Tokenizer != null) tokenizers[ComponentKind.TEXT_ENCODER_2] = TokenizerSource.T5File(T5TokenizerFiles.locate(t5Tokenizer))
        return Opened(inputs, tokenizers)
    }

    private fun openFolder(dir: Path, inputs: MutableList<ModelInput>, tokenizers: MutableMap<ComponentKind, TokenizerSource>) {
        val found = DIFFUSERS_FOLDERS.filterKeys { Files.isDirectory(dir.resolve(it)) }
        if (found.isEmpty()) {
            throw ModelFileException(dir, null, "is a directory but not a diffusers model folder (no unet/, transformer/, " +
                "text_encoder/ or vae/ inside); pass the checkpoint files themselves")
        }
        for ((folder, kind) in found) {
            val weights = weightsIn(dir.resolve(folder))
            ModelPaths.requireInside(dir, weights)
            val input = openFile(weights, kind)
            input.tensors.map { it.first.path }.distinct().forEach { ModelPaths.requireInside(dir, it) }
            inputs.add(input)
        }
        listOf("tokenizer" to ComponentKind.TEXT_ENCODER, "tokenizer_2" to ComponentKind.TEXT_ENCODER_2).forEach { (folder, kind) ->
            val vocab = dir.resolve(folder).resolve("vocab.json")
            val merges = dir.resolve(folder).resolve("merges.txt")
            if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
                ModelPaths.requireInside(dir, vocab)
                ModelPaths.requireInside(dir, merges)
                tokenizers[kind] = TokenizerSource.VocabAndMerges(vocab, merges)
            }
        }
        // SDXL's tokenizer_2/ is CLIP's (vocab.json, merges.txt, found above); Flux's holds T5's SentencePiece files.
        val t5 = dir.resolve("tokenizer_2")
        if (ComponentKind.TEXT_ENCODER_2 !in tokenizers && Files.isDirectory(t5)) {
            T5TokenizerFiles.find(t5)?.let {
                ModelPaths.requireInside(dir, it)
                tokenizers[ComponentKind.TEXT_ENCODER_2] = TokenizerSource.T5File(it)
            }
        }
    }

    /** The weights of one diffusers component folder: a sharded index, else the plain file, else the fp16 variant. */
    private fun weightsIn(folder: Path): Path {
        val files = try {
            Files.list(folder).use { s -> s.filter { Files.isRegularFile(it) }.map { it.fileName.toString() }.sorted().toList() }
        } catch (e: IOException) {
            throw ModelFileException(folder, null, "cannot list: ${e.message}", e)
        }
        val index = files.filter { it.endsWith(".safetensors.index.json") }
        val single = files.filter { it.endsWith(".safetensors") && !SHARD.matches(it) }
        val pick = index.firstOrNull { !it.contains(".fp16.") } ?: single.firstOrNull { !it.contains(".fp16.") }
            ?: index.firstOrNull() ?: single.firstOrNull()
        if (pick == null) {
            val pickle = files.firstOrNull { it.endsWith(".bin") || it.endsWith(".ckpt") || it.endsWith(".pt") }
            val reason = if (pickle != null) "holds only a pickle checkpoint ($pickle), which is not supported: convert it to safetensors"
            else "holds no .safetensors weights"
            throw ModelFileException(folder, null, reason)
        }
        return folder.resolve(pick)
    }

    private val SHARD = Regex(""".*-\d{5}-of-\d{5}\.safetensors""")

    /** Opens one file by its content (GGUF magic) or name (safetensors, index). */
    fun openFile(path: Path, hint: ComponentKind?): ModelInput {
        ModelPaths.requireRegularFile(path, "a model file")
        val name = path.fileName.toString()
        return when {
            name.endsWith(".index.json") -> {
                val index = SafetensorsIndex.read(path)
                ModelInput(path, index.tensors, hint)
            }
            isGguf(path) -> {
                val f = GgufFile.read(path)
                ModelInput(path, f.tensors.map { f to it }, hint)
            }
            name.endsWith(".ckpt") || name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth") ->
                throw ModelFileException(path, null, "pickle checkpoints are not supported (they can run code when loaded); " +
                    "use the .safetensors or .gguf release of this model")
            else -> {
                val f = SafetensorsFile.read(path)
                ModelInput(path, f.tensors.map { f to it }, hint)
            }
        }
    }

    private fun isGguf(path: Path): Boolean = try {
        Files.newInputStream(path).use { it.readNBytes(4).contentEquals(byteArrayOf(0x47, 0x47, 0x55, 0x46)) }
    } catch (e: IOException) {
        throw ModelFileException(path, null, "cannot read: ${e.message}", e)
    }

    private fun ggufTokenizer(file: GgufFile): TokenizerSource? {
        val tokens = file.values["tokenizer.ggml.tokens"]?.asStringList() ?: return null
        val merges = file.values["tokenizer.ggml.merges"]?.asStringList() ?: return null
        return TokenizerSource.GgufMetadata(file.path, tokens.size, merges.size)
    }

    /**
     * llama.cpp's converter marks a SentencePiece unigram vocabulary (T5's) with tokenizer.ggml.model "t5"; a converted
     * Flux file keeps it under the same keys behind the T5 encoder's prefix, beside CLIP's bare ones.
     */
    private fun ggufT5Tokenizer(file: GgufFile): TokenizerSource? {
        val prefix = listOf("", T5GgufVocabulary.FLUX_PREFIX).firstOrNull { T5GgufVocabulary.isPresent(file, it) } ?: return null
        val tokens = T5GgufVocabulary.tokenCount(file, prefix) ?: return null
        return TokenizerSource.T5GgufMetadata(file.path, tokens, prefix)
    }

    private fun userTokenizer(path: Path): TokenizerSource = when {
        Files.isDirectory(path) -> {
            val vocab = path.resolve("vocab.json")
            val merges = path.resolve("merges.txt")
            if (!Files.isRegularFile(vocab) || !Files.isRegularFile(merges)) {
                throw ModelFileException(path, null, "tokenizer folder needs vocab.json and merges.txt")
            }
            TokenizerSource.VocabAndMerges(vocab, merges)
        }
        Files.isRegularFile(path) && path.fileName.toString().endsWith(".txt.gz") -> TokenizerSource.OpenAiBpe(path)
        Files.isRegularFile(path) && path.fileName.toString() == "merges.txt" && Files.isRegularFile(path.resolveSibling("vocab.json")) ->
            TokenizerSource.VocabAndMerges(path.resolveSibling("vocab.json"), path)
        else -> throw ModelFileException(path, null, "not a tokenizer: give a folder with vocab.json and merges.txt, " +
            "or OpenAI's bpe_simple_vocab_16e6.txt.gz")
    }
}
