package dev.sdj.core.image

import java.io.ByteArrayOutputStream
import java.nio.CharBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction

/**
 * Text chunks. A value goes into tEXt when every character is printable Latin-1 or a line feed, which is what
 * tEXt defines and what every reader handles; anything else (a prompt in Japanese, a tab) goes into an uncompressed
 * iTXt chunk as UTF-8, which Pillow, and hence A1111's "PNG Info", reads the same way.
 */
internal object PngText {
    class Chunk(val type: String, val data: ByteArray)

    fun chunk(keyword: String, value: String): Chunk {
        checkKeyword(keyword)
        require('\u0000' !in value) { "PNG text '$keyword' contains a NUL character, which PNG text cannot hold" }
        val data = ByteArrayOutputStream()
        data.write(keyword.toByteArray(Charsets.ISO_8859_1))
        data.write(0)
        if (value.all(::isTextChar)) {
            data.write(value.toByteArray(Charsets.ISO_8859_1))
            return Chunk("tEXt", data.toByteArray())
        }
        // Compression flag 0 and method 0, then an empty language tag and an empty translated keyword.
        data.write(byteArrayOf(0, 0, 0, 0))
        data.write(utf8(keyword, value))
        return Chunk("iTXt", data.toByteArray())
    }

    /** PNG keywords: 1 to 79 printable Latin-1 characters, no leading, trailing or doubled spaces. */
    private fun checkKeyword(keyword: String) {
        require(keyword.length in 1..79) { "PNG text keyword must be 1 to 79 characters, got ${keyword.length}: '$keyword'" }
        require(keyword.all { it.code in 32..126 || it.code in 161..255 }) {
            "PNG text keyword '$keyword' must be printable Latin-1"
        }
        require(!keyword.startsWith(' ') && !keyword.endsWith(' ') && "  " !in keyword) {
            "PNG text keyword '$keyword' has leading, trailing or consecutive spaces"
        }
    }

    private fun isTextChar(ch: Char): Boolean = ch == '\n' || ch.code in 32..126 || ch.code in 160..255

    /** Strict, so that an unpaired surrogate fails here instead of being written as '?'. */
    private fun utf8(keyword: String, value: String): ByteArray {
        val encoder = Charsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
        val buffer = try {
            encoder.encode(CharBuffer.wrap(value))
        } catch (e: CharacterCodingException) {
            throw IllegalArgumentException("PNG text '$keyword' is not valid Unicode (unpaired surrogate)", e)
        }
        return ByteArray(buffer.remaining()).also { buffer.get(it) }
    }
}
