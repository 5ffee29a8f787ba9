package dev.sdj.core.model

import java.nio.file.Path

/**
 * A parsed model file: its tensors (validated: in bounds, non-overlapping, sizes consistent) and metadata. Parsing
 * reads only the header; tensor data is reached through [MappedFile] when loaded.
 */
interface ModelFile {
    val path: Path
    val format: String
    val tensors: List<TensorInfo>

    /** String metadata (safetensors `__metadata__`, GGUF string values), for family detection and display. */
    val stringMetadata: Map<String, String>

    fun tensor(name: String): TensorInfo?
}
