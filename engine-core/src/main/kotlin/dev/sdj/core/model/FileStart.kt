package dev.sdj.core.model

/** The first bytes of a file as readable text, so an error shows what a file that is no model actually is. */
object FileStart {
    const val SHOWN_BYTES = 16

    /** Up to [SHOWN_BYTES] bytes in double quotes: printable ASCII as is, everything else escaped (\n, \xNN). */
    fun escaped(bytes: ByteArray): String = buildString {
        append('"')
        for (b in bytes.take(SHOWN_BYTES)) {
            val c = b.toInt() and 0xFF
            when {
                c == '"'.code || c == '\\'.code -> append('\\').append(c.toChar())
                c == '\n'.code -> append("\\n")
                c == '\r'.code -> append("\\r")
                c == '\t'.code -> append("\\t")
                c in 0x20..0x7E -> append(c.toChar())
                else -> append("\\x").append("%02X".format(c))
            }
        }
        append('"')
        if (bytes.size > SHOWN_BYTES) append("…")
    }

    /** What a file starting with [bytes] is, when its signature says so: a hint for the user. */
    fun knownKind(bytes: ByteArray): String? = when {
        bytes.size >= 4 && bytes[0] == 'P'.code.toByte() && bytes[1] == 'K'.code.toByte() && bytes[2].toInt() == 3 && bytes[3].toInt() == 4 ->
            "a zip archive, as PyTorch .ckpt/.pt checkpoints are: pickle checkpoints are not supported (they can run code when loaded)"
        bytes.size >= 2 && (bytes[0].toInt() and 0xFF) == 0x80 && bytes[1].toInt() in 2..5 -> "a Python pickle, which is not supported"
        else -> null
    }
}
