package dev.sdj.core.model.gguf

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.ModelFile
import dev.sdj.core.model.ModelPaths
import dev.sdj.core.model.TensorInfo
import dev.sdj.core.model.TensorTable
import java.io.IOException
import java.nio.channels.FileChannel
import java.nio.file.AccessDeniedException
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.Collections

/**
 * A GGUF file's header: metadata and validated tensor table. Tensor [offset][TensorInfo.offset]s are absolute
 * (data section start plus the offset the file stores).
 *
 * @param version the GGUF version, 2 or 3
 * @param alignment alignment of tensor data within the data section
 * @param dataStart absolute offset of the data section
 * @param values every metadata entry, in file order
 */
class GgufFile private constructor(
    override val path: Path,
    val version: Int,
    val alignment: Long,
    val dataStart: Long,
    val values: Map<String, GgufValue>,
    override val tensors: List<TensorInfo>,
    private val byName: Map<String, TensorInfo>,
) : ModelFile {
    override val format: String get() = "gguf"

    override val stringMetadata: Map<String, String> =
        Collections.unmodifiableMap(values.entries.mapNotNull { (k, v) -> v.asString()?.let { k to it } }.toMap(LinkedHashMap()))

    override fun tensor(name: String): TensorInfo? = byName[name]

    companion object {
        /**
         * Reads and validates the header of the GGUF file at [path]; tensor data is not read.
         *
         * @throws ModelFileException for any file that cannot be used, including one that cannot be read
         */
        fun read(path: Path): GgufFile {
            val header = try {
                ModelPaths.requireRegularFile(path, "a GGUF file")
                FileChannel.open(path, StandardOpenOption.READ).use { GgufParser.parse(path, it) }
            } catch (e: NoSuchFileException) {
                throw ModelFileException(path, null, "no such file", e)
            } catch (e: AccessDeniedException) {
                throw ModelFileException(path, null, "permission denied", e)
            } catch (e: IOException) {
                throw ModelFileException(path, null, "cannot read the file: $e", e)
            }
            val byName = TensorTable.validate(path, header.tensors, header.dataStart, header.fileSize, header.alignment)
            return GgufFile(
                path, header.version, header.alignment, header.dataStart,
                Collections.unmodifiableMap(header.values), Collections.unmodifiableList(header.tensors), byName,
            )
        }
    }
}
