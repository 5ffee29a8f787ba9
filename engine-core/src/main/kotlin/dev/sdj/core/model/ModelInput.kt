package dev.sdj.core.model

import java.nio.file.Path

/**
 * One thing the user pointed at, opened: a file, a sharded set, or one component folder of a diffusers model.
 * [hint] is the component the diffusers folder name says it is; null for files whose names must tell.
 */
data class ModelInput(val source: Path, val tensors: List<Pair<ModelFile, TensorInfo>>, val hint: ComponentKind?) {
    val names: List<String> get() = tensors.map { it.second.name }
}
