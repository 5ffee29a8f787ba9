package dev.sdj.core.family.clip

import java.io.ByteArrayOutputStream

/**
 * CLIP's reversible byte-to-character mapping (OpenAI's `bytes_to_unicode`). Every UTF-8 byte becomes one printable
 * character, so BPE runs on strings free of whitespace and control characters and every input has a spelling in the
 * vocabulary: there is no unknown token.
 */
internal object ByteLevel {
    private val charOfByte = CharArray(256)
    private val byteOfChar = HashMap<Char, Int>(512)

    /**
     * The 256 characters in CLIP's vocabulary order (ids 0..255): bytes that are printable Latin-1 keep their own
     * character and come first; the others (controls, space, DEL, NBSP, soft hyphen) follow, moved to U+0100 and up.
     */
    val alphabet: List<String>

    init {
        val printable = (0x21..0x7E) + (0xA1..0xAC) + (0xAE..0xFF)
        val moved = (0..255).filter { it !in printable }
        printable.forEach { charOfByte[it] = it.toChar() }
        moved.forEachIndexed { n, b -> charOfByte[b] = (256 + n).toChar() }
        for (b in 0..255) byteOfChar[charOfByte[b]] = b
        alphabet = (printable + moved).map { charOfByte[it].toString() }
    }

    /** The text's UTF-8 bytes, one alphabet character each. */
    fun encode(text: String): String {
        val bytes = text.toByteArray(Charsets.UTF_8)
        val out = CharArray(bytes.size)
        for (i in bytes.indices) out[i] = charOfByte[bytes[i].toInt() and 0xFF]
        return String(out)
    }

    /**
     * The bytes an alphabet string stands for. A character outside the alphabet, which only a vocabulary file can
     * bring, stands for its own UTF-8 bytes.
     */
    fun decode(chars: CharSequence): ByteArray {
        val out = ByteArrayOutputStream(chars.length)
        for (c in chars) {
            val b = byteOfChar[c]
            if (b != null) out.write(b) else out.writeBytes(c.toString().toByteArray(Charsets.UTF_8))
        }
        return out.toByteArray()
    }
}
