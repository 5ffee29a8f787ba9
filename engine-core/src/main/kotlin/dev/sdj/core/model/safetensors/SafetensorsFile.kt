package dev.sdj.core.model.safetensors

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.FileStart
import dev.sdj.core.model.ModelFile
import dev.sdj.core.model.ModelPaths
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.TensorTable
import java.io.IOException
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/** A parsed `.safetensors` file; [tensors] are in the order of their data. */
class SafetensorsFile private constructor(
    override val path: Path,
    override val tensors: List<TensorInfo>,
    override val stringMetadata: Map<String, String>,
    private val byName: Map<String, TensorInfo>,
) : ModelFile {
    override val format: String get() = "safetensors"

    override fun tensor(name: String): TensorInfo? = byName[name]

    companion object {
        /** Larger headers are refused before anything is allocated: no real model comes near it. */
        const val MAX_HEADER_BYTES: Long = 100L * 1024 * 1024

        /** Reads and validates the header only; any problem with the file is a [ModelFileException]. */
        fun read(path: Path): SafetensorsFile {
            ModelPaths.requireRegularFile(path, "a safetensors file")
            return try {
                FileChannel.open(path, StandardOpenOption.READ).use { parse(path, it) }
            } catch (e: NoSuchFileException) {
                throw ModelFileException(path, null, "no such file", e)
            } catch (e: IOException) {
                throw ModelFileException(path, null, "cannot read the file: $e", e)
            }
        }

        private fun parse(path: Path, channel: FileChannel): SafetensorsFile {
            val fileSize = channel.size()
            if (fileSize < 8) {
                throw ModelFileException(path, null, "file is $fileSize bytes, too short for the 8-byte header length")
            }
            val head = readExactly(path, channel, 0, minOf(fileSize, FileStart.SHOWN_BYTES + 1L).toInt())
            val headerLength = head.order(ByteOrder.LITTLE_ENDIAN).getLong(0)
            // A header starts with '{'; without one, an impossible length means some other kind of file, not a damaged one.
            if (headerLength !in 0..minOf(MAX_HEADER_BYTES, fileSize - 8) && (fileSize == 8L || head.get(8) != '{'.code.toByte())) {
                val bytes = ByteArray(head.remaining()).also { head.get(it) }
                throw ModelFileException(path, null, "is not a GGUF or safetensors file (starts with ${FileStart.escaped(bytes)})" +
                    (FileStart.knownKind(bytes)?.let { "; it looks like $it" } ?: ""))
            }
            // Negative as a signed long means above 2^63 as the format's unsigned one.
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw ModelFileException(path, null, "header length ${headerLength.toULong()} " +
                    "exceeds the limit of $MAX_HEADER_BYTES bytes")
            }
            if (headerLength > fileSize - 8) {
                throw ModelFileException(path, null, "header length $headerLength runs past the end of the file ($fileSize bytes)")
            }
            val json = StrictJson.parseObject(path, readExactly(path, channel, 8, headerLength.toInt()), "header")
            val dataStart = 8 + headerLength
            val header = SafetensorsHeader.parse(path, json, dataStart, fileSize - dataStart)
            val byName = TensorTable.validate(path, header.tensors, dataStart, fileSize, alignment = 1)
            return SafetensorsFile(path, header.tensors.sortedBy { it.offset }, header.metadata, byName)
        }
    }
}
