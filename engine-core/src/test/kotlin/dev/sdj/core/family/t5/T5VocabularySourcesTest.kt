package dev.sdj.core.family.t5

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufValueType
import dev.sdj.core.model.gguf.GgufWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.Base64

/**
 * Every source gives the vocabulary tokenizer.json gives. spiece.model and GGUF files are written at test time from
 * the shared tokenizer.json, in the layouts SentencePiece and llama.cpp use, into a temporary folder.
 */
class T5VocabularySourcesTest {
    @TempDir
    lateinit var dir: Path

    private val reference = T5TestVocabulary.tokenizer

    /** The first 32,000 pieces: what spiece.model holds; transformers adds the 100 `<extra_id_N>` after them. */
    private val json = ObjectMapper().readTree(T5TestVocabulary.file.toFile())
    private val pieces = json["model"]["vocab"].take(32000).map { it[0].textValue() to it[1].doubleValue() }
    private val charsmap = Base64.getDecoder().decode(json["normalizer"]["normalizers"][0]["precompiled_charsmap"].textValue())
    private val types = pieces.indices.map { id -> mapOf(0 to 3, 1 to 3, 2 to 2)[id] ?: 1 }

    private val prompts = listOf(
        "Hello world", "translate English to German: The house is wonderful.", "ｆｕｌｌ ﬁ café  x\u200by",
        "你好 世界 😀", "", "  a   b  ", "A photo of a cat riding a horse on Mars, 4k, highly detailed",
    )

    private fun assertSameIds(vocabulary: T5Vocabulary) {
        assertEquals(0, vocabulary.padId)
        assertEquals(1, vocabulary.eosId)
        assertEquals(2, vocabulary.unkId)
        val tokenizer = T5Tokenizer(vocabulary)
        for (prompt in prompts) assertEquals(reference.tokenize(prompt, 64), tokenizer.tokenize(prompt, 64), prompt)
    }

    @Test
    fun `spiece model gives the same ids as tokenizer json`() {
        val file = dir.resolve("spiece.model")
        Files.write(file, spieceModel())
        assertSameIds(T5Vocabulary.fromSentencePieceModel(file))
    }

    @Test
    fun `GGUF metadata gives the same ids as tokenizer json`() {
        assertSameIds(T5Vocabulary.fromGguf(gguf(withCharsmap = true)))
    }

    @Test
    fun `GGUF metadata without a precompiled map still segments plain text`() {
        val vocabulary = T5Vocabulary.fromGguf(gguf(withCharsmap = false))
        assertNull(vocabulary.charsmap)
        assertEquals(listOf(8774, 296), T5Tokenizer(vocabulary).encode("Hello world"))
    }

    @Test
    fun `a folder is searched for tokenizer json, then spiece model, also in tokenizer_2`() {
        val folder = Files.createDirectories(dir.resolve("flux/tokenizer_2"))
        Files.write(folder.resolve("spiece.model"), spieceModel())
        assertSameIds(T5TokenizerFiles.load(dir.resolve("flux")))
        Files.copy(T5TestVocabulary.file, folder.resolve("tokenizer.json"))
        assertEquals(32100, T5TokenizerFiles.load(folder).size)
    }

    @Test
    fun `a folder without a tokenizer names the files to get`() {
        val error = assertThrows(ModelFileException::class.java) { T5TokenizerFiles.load(dir) }
        assertEquals(dir, error.file())
        for (name in listOf("tokenizer_2/", "tokenizer.json", "spiece.model")) {
            assertTrue(name in error.reason(), error.reason())
        }
    }

    @Test
    fun `a tokenizer json that is not a unigram model is refused by name`() {
        val file = dir.resolve("tokenizer.json")
        Files.writeString(file, """{"model": {"type": "BPE", "vocab": {}, "merges": []}}""")
        val error = assertThrows(ModelFileException::class.java) { T5Vocabulary.fromTokenizerJson(file) }
        assertTrue("Unigram" in error.reason(), error.reason())
    }

    @Test
    fun `a truncated spiece model is refused by name`() {
        val file = dir.resolve("spiece.model")
        Files.write(file, spieceModel().let { it.copyOf(it.size - 3) })
        val error = assertThrows(ModelFileException::class.java) { T5Vocabulary.fromSentencePieceModel(file) }
        assertEquals(file, error.file())
    }

    /** A ModelProto: pieces (1), a trainer_spec (2) to be skipped, and a normalizer_spec (3) with the map. */
    private fun spieceModel(): ByteArray = Proto().apply {
        pieces.forEachIndexed { id, (piece, score) ->
            message(1) {
                bytes(1, piece.toByteArray())
                float(2, score.toFloat())
                if (types[id] != 1) varint(3, types[id].toLong())
            }
        }
        message(2) {
            bytes(1, "unused".toByteArray())
            varint(40, 2)
            varint(42, 1)
            varint(43, 0)
            varint(41, -1)
        }
        message(3) {
            bytes(1, "nmt_nfkc".toByteArray())
            bytes(2, charsmap)
            varint(3, 1)
        }
    }.toByteArray()

    private fun gguf(withCharsmap: Boolean): GgufFile {
        val writer = GgufWriter()
            .put("tokenizer.ggml.model", "t5")
            .putStrings("tokenizer.ggml.tokens", pieces.map { it.first })
            .put("tokenizer.ggml.scores", GgufValue.float32Array(pieces.map { it.second.toFloat() }.toFloatArray()))
            .put("tokenizer.ggml.token_type", GgufValue.int32Array(types.toIntArray()))
            .putUInt32("tokenizer.ggml.unknown_token_id", 2)
            .putUInt32("tokenizer.ggml.eos_token_id", 1)
            .putUInt32("tokenizer.ggml.padding_token_id", 0)
        if (withCharsmap) {
            writer.put("tokenizer.ggml.precompiled_charsmap",
                GgufValue.array(GgufValueType.UINT8, charsmap.map { GgufValue.uint8(it.toInt() and 0xFF) }))
        }
        val file = dir.resolve("t5.gguf")
        writer.write(file)
        return GgufFile.read(file)
    }

    /** Writes protobuf wire format: keys, varints, fixed32 floats and length-delimited fields. */
    private class Proto {
        private val out = ByteArrayOutputStream()

        fun varint(field: Int, value: Long) {
            raw((field shl 3).toLong())
            raw(value)
        }

        fun float(field: Int, value: Float) {
            raw(((field shl 3) or 5).toLong())
            val bits = value.toRawBits()
            for (i in 0 until 4) out.write(bits ushr (8 * i))
        }

        fun bytes(field: Int, value: ByteArray) {
            raw(((field shl 3) or 2).toLong())
            raw(value.size.toLong())
            out.write(value)
        }

        fun message(field: Int, body: Proto.() -> Unit) = bytes(field, Proto().apply(body).toByteArray())

        fun toByteArray(): ByteArray = out.toByteArray()

        private fun raw(value: Long) {
            var v = value
            while (v and 0x7FL.inv() != 0L) {
                out.write(((v and 0x7F) or 0x80).toInt())
                v = v ushr 7
            }
            out.write(v.toInt())
        }
    }
}
