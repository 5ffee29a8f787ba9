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
        // LTX-2's text-embedding projections and connectors, in diffusers' names (Ltx2Weights renames them)
        "connectors" to ComponentKind.TEXT_CONNECTORS,
    )

    /**
     * The opened inputs and the tokenizer sources found with them (per text-encoder slot). A Gemma-3 vocabulary is
     * kept apart in [gemmaTokenizer]: it would serve the first text encoder's slot, which CLIP's sources fill in the
     * other families, so the assembly takes it only for LTX-2.
     */
    data class Opened(
        val inputs: List<ModelInput>,
        val tokenizers: Map<ComponentKind, TokenizerSource>,
        val gemmaTokenizer: TokenizerSource.Gemma? = null,
    )

    /**
     * @param tokenizer a path the user gave for the (first) text encoder's tokenizer, taking precedence: CLIP's
     *   vocab.json + merges.txt (or their folder), OpenAI's BPE file, or a Gemma-3 tokenizer.json (or its folder)
     * @param t5Tokenizer a path the user gave for a T5 second text encoder's tokenizer (tokenizer.json, spiece.model
     *   or a folder holding one), taking precedence over the model's own
     */
    @JvmOverloads
    fun open(paths: List<Path>, tokenizer: Path? = null, t5Tokenizer: Path? = null): Opened {
        require(paths.isNotEmpty()) { "no model files given" }
        val inputs = ArrayList<ModelInput>()
        val tokenizers = LinkedHashMap<ComponentKind, TokenizerSource>()
        val gemma = ArrayList<TokenizerSource.Gemma>()
        for (path in paths) {
            if (ModelPaths.requireExisting(path).isDirectory) openFolder(path, inputs, tokenizers, gemma) else inputs.add(openFile(path, null))
        }
        for (input in inputs) {
            val gguf = input.tensors.firstOrNull()?.first as? GgufFile ?: continue
            ggufTokenizer(gguf)?.let { tokenizers.putIfAbsent(ComponentKind.TEXT_ENCODER, it) }
            ggufT5Tokenizer(gguf)?.let { tokenizers.putIfAbsent(ComponentKind.TEXT_ENCODER_2, it) }
            ggufGemmaTokenizer(gguf)?.let { gemma.add(it) }
        }
        val given = tokenizer?.let(::userTokenizer)
        if (given is TokenizerSource.Gemma) gemma.add(0, given) else if (given != null) tokenizers[ComponentKind.TEXT_ENCODER] = given
        if (t5Tokenizer != null) tokenizers[ComponentKind.TEXT_ENCODER_2] = TokenizerSource.T5File(T5TokenizerFiles.locate(t5Tokenizer))
        return Opened(inputs, tokenizers, gemma.firstOrNull())
    }

    private fun openFolder(
        dir: Path,
        inputs: MutableList<ModelInput>,
        tokenizers: MutableMap<ComponentKind, TokenizerSource>,
        gemma: MutableList<TokenizerSource.Gemma>,
    ) {
        val found = DIFFUSERS_FOLDERS.filterKeys { Files.isDirectory(dir.resolve(it)) }
        if (found.isEmpty()) {
            openModelFolder(dir, inputs, gemma)
            return
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
        // LTX-2's tokenizer/ holds Gemma-3's tokenizer.json instead of CLIP's two files
        val json = dir.resolve("tokenizer").resolve(TOKENIZER_JSON)
        if (ComponentKind.TEXT_ENCODER !in tokenizers && Files.isRegularFile(json)) {
            ModelPaths.requireInside(dir, json)
            gemma.add(TokenizerSource.GemmaJson(json))
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

    /**
     * A Hugging Face model folder (google/gemma-3-12b-it, say): the weights directly inside, sharded or single, and
     * the tokenizer.json beside them. A folder with several unrelated model files is refused rather than one picked.
     */
    private fun openModelFolder(dir: Path, inputs: MutableList<ModelInput>, gemma: MutableList<TokenizerSource.Gemma>) {
        val files = listFiles(dir)
        val index = files.filter { it.endsWith(".safetensors.index.json") }
        val single = files.filter { it.endsWith(".safetensors") && !SHARD.matches(it) }
        if (index.isEmpty() && single.isEmpty()) {
            throw ModelFileException(dir, null, "is a directory but neither a diffusers model folder (no unet/, transformer/, " +
                "text_encoder/ or vae/ inside) nor a model folder holding .safetensors weights; pass the checkpoint files themselves")
        }
        if (index.size + single.size > 1) {
            throw ModelFileException(dir, null, "holds several model files (${(index + single).joinToString()}); pass the ones " +
                "to load themselves")
        }
        val weights = dir.resolve((index + single).single())
        ModelPaths.requireInside(dir, weights)
        val input = openFile(weights, null)
        input.tensors.map { it.first.path }.distinct().forEach { ModelPaths.requireInside(dir, it) }
        inputs.add(input)
        val json = dir.resolve(TOKENIZER_JSON)
        if (Files.isRegularFile(json)) {
            ModelPaths.requireInside(dir, json)
            gemma.add(TokenizerSource.GemmaJson(json))
        }
    }

    private fun listFiles(folder: Path): List<String> = try {
        Files.list(folder).use { s -> s.filter { Files.isRegularFile(it) }.map { it.fileName.toString() }.sorted().toList() }
    } catch (e: IOException) {
        throw ModelFileException(folder, null, "cannot list: ${e.message}", e)
    }

    /** The weights of one diffusers component folder: a sharded index, else the plain file, else the fp16 variant. */
    private fun weightsIn(folder: Path): Path {
        val files = listFiles(folder)
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

    private const val TOKENIZER_JSON = "tokenizer.json"

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

    /** Gemma-3's GGUFs as llama.cpp writes them carry the vocabulary (tokens, scores, types; no merges). */
    private fun ggufGemmaTokenizer(file: GgufFile): TokenizerSource.Gemma? {
        if (file.values["general.architecture"]?.asString() != "gemma3") return null
        val tokens = file.values["tokenizer.ggml.tokens"]?.asStringList() ?: return null
        return TokenizerSource.GemmaGgufMetadata(file.path, tokens.size)
    }

    /** A tokenizer.json is Gemma-3's: CLIP's come as vocab.json + merges.txt, T5's through --t5-tokenizer. */
    private fun userTokenizer(path: Path): TokenizerSource {
        val name = path.fileName?.toString().orEmpty()
        return when {
            Files.isDirectory(path) -> {
                val vocab = path.resolve("vocab.json")
                val merges = path.resolve("merges.txt")
                val json = path.resolve(TOKENIZER_JSON)
                when {
                    Files.isRegularFile(vocab) && Files.isRegularFile(merges) -> TokenizerSource.VocabAndMerges(vocab, merges)
                    Files.isRegularFile(json) -> TokenizerSource.GemmaJson(json)
                    else -> throw ModelFileException(path, null, "tokenizer folder needs vocab.json and merges.txt (CLIP), " +
                        "or tokenizer.json (Gemma-3)")
                }
            }
            Files.isRegularFile(path) && name.endsWith(".txt.gz") -> TokenizerSource.OpenAiBpe(path)
            Files.isRegularFile(path) && name == "merges.txt" && Files.isRegularFile(path.resolveSibling("vocab.json")) ->
                TokenizerSource.VocabAndMerges(path.resolveSibling("vocab.json"), path)
            Files.isRegularFile(path) && name.endsWith(".json") && name != "vocab.json" -> TokenizerSource.GemmaJson(path)
            else -> throw ModelFileException(path, null, "not a tokenizer: give a folder with vocab.json and merges.txt, " +
                "OpenAI's bpe_simple_vocab_16e6.txt.gz, or Gemma-3's tokenizer.json (for LTX-2)")
        }
    }
}
