package dev.sdj.core.family

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelInput
import dev.sdj.core.model.TensorRef

/**
 * Splits inputs into components by name prefix, keeping names otherwise as the files give them. Families whose
 * pipelines have not landed yet use this: their canonical names are their original checkpoint names, and a diffusers
 * folder's components keep diffusers names until the family's graph code defines one naming.
 *
 * @param prefixes single-file prefixes, most specific first
 * @param bareComponent the component a prefix-less file is (a diffusion-model-only download)
 * @param canonical the name a placed tensor is read by, where a file's naming differs from the family's (llama.cpp's
 *   names for a T5 encoder)
 */
class PrefixWeights(
    private val prefixes: List<Pair<String, ComponentKind>>,
    private val bareComponent: (name: String) -> ComponentKind?,
    private val canonical: (ComponentKind, String) -> String = { _, name -> name },
) {
    fun split(inputs: List<ModelInput>): Pair<Map<ComponentKind, Component>, List<String>> {
        val byKind = LinkedHashMap<ComponentKind, LinkedHashMap<String, TensorRef>>()
        val ignored = ArrayList<String>()
        for (input in inputs) {
            for ((file, info) in input.tensors) {
                val placed = input.hint?.let { it to info.name }
                    ?: prefixes.firstOrNull { info.name.startsWith(it.first) }?.let { (p, kind) -> kind to info.name.removePrefix(p) }
                    ?: bareComponent(info.name)?.let { it to info.name }
                if (placed == null) {
                    ignored.add(info.name)
                    continue
                }
                val tensors = byKind.getOrPut(placed.first) { LinkedHashMap() }
                val name = canonical(placed.first, placed.second)
                if (tensors.put(name, TensorRef(file, info)) != null) {
                    throw ModelFileException(file.path, info.name, "two inputs give the ${placed.first.label} tensor '$name'")
                }
            }
        }
        return byKind.mapValues { (kind, t) -> Component(kind, t) } to ignored
    }
}
