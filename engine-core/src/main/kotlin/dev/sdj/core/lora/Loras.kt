package dev.sdj.core.lora

import dev.sdj.api.InvalidRequestException
import dev.sdj.api.Lora
import dev.sdj.core.image.loraHash
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelPaths
import org.slf4j.LoggerFactory
import java.nio.file.Files
import java.nio.file.Path

/**
 * The LoRA files requests name, resolved against a model's weights ([LoraTargets]) into one [LoraPatch] per component
 * they adapt and the [LowRankLoraTerm]s of the weights that take theirs as graph ops. A file is read once and kept
 * while requests keep naming it (same path, size and modification time); files the last request did not name are
 * dropped.
 *
 * @param elements each canonical tensor's element count, by component; null where the model has no such tensor
 */
class Loras(private val targets: LoraTargets?, private val family: String, private val elements: (LoraTarget) -> Long?) {
    companion object {
        private val LOG = LoggerFactory.getLogger(Loras::class.java)
        private val MERGED = LoraPath(false, "merged")

        /** The file name in a LoRA file's stamp ([LowRankLoraTerm.stamp]: path, size and modification time), for labels. */
        fun fileName(stamp: String): String =
            Path.of(stamp.substringBeforeLast('|').substringBeforeLast('|')).fileName?.toString() ?: stamp
    }

    private var files: Map<String, LoraFile> = emptyMap()
    private val hashes = HashMap<String, String>()

    /**
     * How [loras] apply: the patches they merge and the terms they add as graph ops, by component, each weight the
     * way [pathOf] says (all merged by default); empty without LoRAs.
     */
    fun apply(loras: List<Lora>, pathOf: (LoraTarget) -> LoraPath = { MERGED }): LoraApplication {
        if (loras.isEmpty()) {
            files = emptyMap()
            return LoraApplication(emptyMap(), emptyMap(), emptyMap())
        }
        val resolver = targets ?: throw InvalidRequestException("LoRAs are not supported on $family models yet")
        val read = loras.associate { stamp(it.path()) to it.path() }.mapValues { (stamp, path) -> files[stamp] ?: LoraFile.read(path) }
        files = read
        val merged = LinkedHashMap<ComponentKind, LinkedHashMap<String, MutableList<LoraTerm>>>()
        val lowRank = LinkedHashMap<ComponentKind, LinkedHashMap<String, MutableList<LowRankLoraTerm>>>()
        val keys = LinkedHashMap<ComponentKind, MutableList<String>>()
        val paths = LinkedHashMap<String, String>()
        for (lora in loras) {
            val stamp = stamp(lora.path())
            val file = read.getValue(stamp)
            val unmatched = ArrayList<String>()
            val misfit = ArrayList<String>()
            val touched = LinkedHashSet<ComponentKind>()
            val whys = LinkedHashMap<String, Int>()
            val mergedInto = LinkedHashSet<ComponentKind>()
            for (layer in file.deltas) {
                val targets = resolver.targets(layer.key)
                val wrong = targets.firstOrNull { !fits(layer, it) }
                when {
                    targets.isEmpty() -> unmatched.add(layer.key)
                    wrong != null -> misfit.add("${layer.key} (${layer.rows} × ${layer.cols} for ${wrong.tensor}" +
                        (wrong.rows?.let { " rows [${it.tensorFirst}, ${it.tensorFirst + it.count}) from ${it.loraRows}" } ?: "") +
                        ", ${elements(wrong)} elements)")
                    else -> for (target in targets) {
                        val factor = layer.factor(lora.multiplier().toFloat())
                        val path = if (layer is LycorisLayer) LoraPath(false, "merged: ${layer.kind.label} (not a low-rank product)") else pathOf(target)
                        if (path.lowRank && layer is LoraLayer) {
                            lowRank.getOrPut(target.component) { LinkedHashMap() }.getOrPut(target.tensor) { ArrayList() }
                                .add(LowRankLoraTerm(layer, factor, stamp))
                        } else {
                            merged.getOrPut(target.component) { LinkedHashMap() }.getOrPut(target.tensor) { ArrayList() }
                                .add(LoraTerm(layer, factor, target.rows))
                            mergedInto.add(target.component)
                        }
                        whys.merge(path.why, 1, Int::plus)
                        touched.add(target.component)
                    }
                }
            }
            if (touched.isEmpty()) {
                throw InvalidRequestException("LoRA ${lora.path()} adapts no weight of this $family model " +
                    "(${unmatched.size} layers named like '${(unmatched + misfit).first()}' match no weight" +
                    (if (misfit.isEmpty()) "" else ", ${misfit.size} have other shapes") + "): is it a LoRA for another model?")
            }
            if (unmatched.isNotEmpty() || misfit.isNotEmpty() || file.unused.isNotEmpty()) {
                LOG.warn("LoRA {}: {} of {} layers applied; {} match no weight of the model{}{}{}", lora.path(),
                    file.deltas.size - unmatched.size - misfit.size, file.deltas.size, unmatched.size,
                    unmatched.take(3).joinToString(prefix = " (e.g. ", postfix = ")").takeIf { unmatched.isNotEmpty() } ?: "",
                    if (misfit.isEmpty()) "" else ", ${misfit.size} have another shape than the weight (e.g. ${misfit.first()})",
                    if (file.unused.isEmpty()) "" else "; ${file.unused.size} tensors are of no kind applied here (e.g. ${file.unused.take(3)})")
            }
            mergedInto.forEach { keys.getOrPut(it) { ArrayList() }.add("$stamp*${lora.multiplier()}") }
            paths[lora.path().fileName.toString()] = whys.entries.joinToString("; ") { (why, n) -> "$n weights $why" }
        }
        val patches = merged.mapValues { (kind, t) -> LoraPatch(t, keys.getValue(kind).joinToString("\n")) }
        return LoraApplication(patches, lowRank, paths)
    }

    /** Whether [layer]'s product has the shape of [target]: the whole weight, or up's rows the span expects over the weight's row width. */
    private fun fits(layer: LoraDelta, target: LoraTarget): Boolean {
        val rows = target.rows ?: return elements(target) == layer.weightElements
        return layer.rows == rows.loraRows && elements(target) == rows.tensorRows.toLong() * layer.cols
    }

    /** A1111's "Lora hashes" value for [loras]: "name: hash" each, the name being the file's without its extension. */
    fun hashes(loras: List<Lora>): String = loras.joinToString(", ") { lora ->
        "${lora.path().fileName.toString().substringBeforeLast('.')}: ${hashes.getOrPut(stamp(lora.path())) { loraHash(lora.path()) }}"
    }

    /** A file's identity while it is unchanged: its real path, size and modification time. */
    private fun stamp(path: Path): String {
        val attributes = ModelPaths.requireExisting(path)
        if (!attributes.isRegularFile) ModelPaths.requireRegularFile(path, "a LoRA file")
        return "${path.toAbsolutePath().normalize()}|${attributes.size()}|${attributes.lastModifiedTime().toMillis()}"
    }
}
