package dev.sdj.core.image

import dev.sdj.core.model.safetensors.writeAtomically
import java.io.BufferedOutputStream
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.OutputStream
import java.nio.channels.Channels
import java.nio.file.Path
import java.util.zip.Deflater
import java.util.zip.DeflaterOutputStream

/**
 * Writes 8-bit RGB PNGs with text metadata. The bytes are a function of the image and the text alone: no time
 * chunk, text sorted by keyword (so equal maps give equal files whatever their iteration order), a per-row filter
 * chosen from the pixels, a fixed zlib level and fixed IDAT sizes.
 *
 * The compressed stream comes from the zlib the JDK uses (bundled, or the system's on Debian and others). zlib does
 * not promise the same stream across versions and forks such as zlib-ng compress differently, so byte identity holds
 * for a given zlib; the decoded pixels and text are the same everywhere.
 */
object PngWriter {
    private const val LEVEL = 6

    @JvmStatic
    @JvmOverloads
    fun encode(image: RgbImage, text: Map<String, String> = emptyMap()): ByteArray {
        val chunks = textChunks(text)
        val bytes = ByteArrayOutputStream(image.pixels.size / 2 + 1024)
        writeTo(bytes, image, chunks)
        return bytes.toByteArray()
    }

    /**
     * Writes to a temporary file beside [out] and renames it over [out] once complete, so [out] is never a partial
     * PNG; on failure nothing is left behind.
     *
     * @throws IOException naming [out] when it cannot be written, e.g. its directory does not exist
     */
    @JvmStatic
    @Throws(IOException::class)
    fun write(image: RgbImage, text: Map<String, String>, out: Path) {
        val chunks = textChunks(text)
        try {
            writeAtomically(out) { channel ->
                // Not closed: writeAtomically forces and closes the channel itself.
                val stream = BufferedOutputStream(Channels.newOutputStream(channel), 1 shl 16)
                writeTo(stream, image, chunks)
                stream.flush()
            }
        } catch (e: IOException) {
            throw IOException("cannot write PNG $out: ${e.javaClass.simpleName}: ${e.message}", e)
        }
    }

    private fun textChunks(text: Map<String, String>): List<PngText.Chunk> =
        text.entries.sortedBy { it.key }.map { PngText.chunk(it.key, it.value) }

    private fun writeTo(out: OutputStream, image: RgbImage, text: List<PngText.Chunk>) {
        val chunks = PngChunks(out)
        chunks.signature()
        chunks.write("IHDR", header(image))
        // Before IDAT, so that readers which stop at the image data still see the metadata.
        for (chunk in text) chunks.write(chunk.type, chunk.data)
        writeImageData(chunks, image)
        chunks.write("IEND", ByteArray(0))
    }

    private fun header(image: RgbImage): ByteArray {
        val h = ByteArray(13)
        for ((at, v) in listOf(0 to image.width, 4 to image.height)) {
            for (i in 0 until 4) h[at + i] = (v ushr (24 - 8 * i)).toByte()
        }
        h[8] = 8 // bits per sample
        h[9] = 2 // colour type: RGB; bytes 10-12 stay 0: deflate, adaptive filtering, no interlace
        return h
    }

    private fun writeImageData(chunks: PngChunks, image: RgbImage) {
        val rowBytes = image.width * 3
        val filter = PngRowFilter(rowBytes)
        val deflater = Deflater(LEVEL)
        try {
            val idat = IdatStream(chunks)
            val zlib = DeflaterOutputStream(idat, deflater, 1 shl 16)
            for (y in 0 until image.height) {
                val type = filter.filter(image.pixels, y * rowBytes, if (y == 0) -1 else (y - 1) * rowBytes)
                zlib.write(type)
                zlib.write(filter.bytes(type), 0, rowBytes)
            }
            zlib.finish()
            idat.close()
        } finally {
            deflater.end()
        }
    }
}
