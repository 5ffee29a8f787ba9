package dev.sdj.core.model

import dev.sdj.core.graph.LowRankAdapter

/**
 * One component of a model: its tensors under the family's canonical names, each pointing at its bytes in some
 * file. Files may be shared between components (a single-file checkpoint) or hold one each (split files).
 *
 * @param keptF32 tensors the family keeps in f32 on every device whatever their storage and whatever type weights are
 *   quantized to while loading, as stable-diffusion.cpp does for a model's small precision-critical layers (LTX-2's
 *   timestep embedders, AdaLN linears, patchify and output projections)
 * @param adapters the LoRAs applied to its weights as graph ops, by weight: their down and up matrices are among
 *   [tensors] (read from the LoRA files), so they are laid out, loaded and streamed as the weights are
 */
data class Component(val kind: ComponentKind, val tensors: Map<String, TensorRef>, val keptF32: Set<String> = emptySet(),
                     val adapters: Map<String, List<LowRankAdapter>> = emptyMap()) {
    val parameterCount: Long get() = tensors.values.sumOf { it.shape.fold(1L) { a, b -> a * b } }
    val fileBytes: Long get() = tensors.values.sumOf { it.byteSize }

    /** The tensors of its [adapters]. */
    val adapterTensors: Set<String> get() = adapters.values.flatten().flatMapTo(LinkedHashSet()) { listOf(it.down, it.up) }

    /**
     * The tensors of its [adapters] by their [LowRankAdapter.source]: each source's are a load unit of their own, loaded
     * and freed apart from the component's weights and from the other sources'.
     */
    val adapterSources: Map<String, Set<String>> get() = adapters.values.flatten()
        .groupBy { it.source }.mapValues { (_, list) -> list.flatMapTo(LinkedHashSet()) { listOf(it.down, it.up) } }
}
