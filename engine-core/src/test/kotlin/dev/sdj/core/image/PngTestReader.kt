package dev.sdj.core.image

import java.io.ByteArrayOutputStream
import java.nio.ByteBuffer
import java.util.zip.CRC32
import java.util.zip.Inflater

/** An independent, minimal PNG chunk reader for checking what [PngWriter] wrote. */
object PngTestReader {
    class Chunk(val type: String, val data: ByteArray, val storedCrc: Int) {
        val crcValid: Boolean
            get() = CRC32().apply { update(type.toByteArray(Charsets.US_ASCII)); update(data) }.value.toInt() == storedCrc
    }

    class Text(val type: String, val keyword: String, val value: String)

    val SIGNATURE = byteArrayOf(-119, 80, 78, 71, 13, 10, 26, 10)

    fun chunks(png: ByteArray): List<Chunk> {
        require(png.copyOf(8).contentEquals(SIGNATURE)) { "no PNG signature" }
        val buf = ByteBuffer.wrap(png, 8, png.size - 8)
        val chunks = ArrayList<Chunk>()
        while (buf.hasRemaining()) {
            val length = buf.int
            val type = ByteArray(4).also { buf.get(it) }.toString(Charsets.US_ASCII)
            val data = ByteArray(length).also { buf.get(it) }
            chunks += Chunk(type, data, buf.int)
        }
        return chunks
    }

    fun texts(png: ByteArray): List<Text> = chunks(png).mapNotNull { chunk ->
        val d = chunk.data
        when (chunk.type) {
            "tEXt" -> {
                val nul = d.indexOf(0)
                Text("tEXt", String(d, 0, nul, Charsets.ISO_8859_1), String(d, nul + 1, d.size - nul - 1, Charsets.ISO_8859_1))
            }
            "iTXt" -> {
                val nul = d.indexOf(0)
                check(d[nul + 1].toInt() == 0 && d[nul + 2].toInt() == 0) { "iTXt is compressed" }
                val langEnd = indexOf(d, 0, nul + 3)
                val translatedEnd = indexOf(d, 0, langEnd + 1)
                Text("iTXt", String(d, 0, nul, Charsets.ISO_8859_1),
                    String(d, translatedEnd + 1, d.size - translatedEnd - 1, Charsets.UTF_8))
            }
            else -> null
        }
    }

    /** The filter type byte of every row, from the inflated IDAT data. */
    fun filterTypes(png: ByteArray): List<Int> {
        val chunks = chunks(png)
        val ihdr = ByteBuffer.wrap(chunks.first { it.type == "IHDR" }.data)
        val width = ihdr.int
        val height = ihdr.int
        val compressed = ByteArrayOutputStream()
        chunks.filter { it.type == "IDAT" }.forEach { compressed.write(it.data) }
        val inflater = Inflater()
        inflater.setInput(compressed.toByteArray())
        val raw = ByteArray(height * (1 + 3 * width))
        var n = 0
        while (n < raw.size && !inflater.finished()) n += inflater.inflate(raw, n, raw.size - n)
        check(n == raw.size && inflater.finished()) { "IDAT inflated to $n bytes, expected ${raw.size}" }
        inflater.end()
        return (0 until height).map { raw[it * (1 + 3 * width)].toInt() }
    }

    private fun indexOf(d: ByteArray, b: Int, from: Int): Int = (from until d.size).first { d[it].toInt() == b }
}
