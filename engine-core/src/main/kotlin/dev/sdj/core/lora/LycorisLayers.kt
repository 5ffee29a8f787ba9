package dev.sdj.core.lora

import dev.sdj.api.ModelFileException
import java.nio.file.Path

/**
 * The LyCORIS layers of a LoRA file, by their tensors' suffixes: LoHa `.hada_w1_a`, `.hada_w1_b`, `.hada_w2_a`,
 * `.hada_w2_b` (with `.hada_t1`/`.hada_t2`, the factors in Tucker form), LoKr `.lokr_w1` or `.lokr_w1_a`/`_b` and
 * `.lokr_w2` or `.lokr_w2_a`/`_b` (with `.lokr_t2`), each with an optional `.alpha`. The scale follows
 * stable-diffusion.cpp: alpha / rank where the file has an alpha, else 1, the rank being LoHa's hada_w1_b's first
 * dimension, LoKr's lokr_w2_b's, else lokr_w1_b's, else 1 — and a LoKr of rank 1 is scaled by 1 whatever its alpha.
 */
object LycorisLayers {

    /** A layer read and the names of the tensors it took. */
    class Read(val layer: LycorisLayer, val tensors: List<String>)

    /**
     * The layers among [names]; [matrix] and [scalar] read a tensor. A layer without one of the tensors its form
     * needs, or whose tensors' shapes do not fit together, is a [ModelFileException] naming it.
     */
    fun read(path: Path, names: Set<String>, matrix: (String) -> LoraMatrix, scalar: (String) -> Float): List<Read> {
        val loha = names.filter { it.endsWith(".hada_w1_a") }.map { it.removeSuffix(".hada_w1_a") }
        val lokr = names.mapNotNull { n -> LOKR_FIRST.firstOrNull { n.endsWith(it) }?.let { n.removeSuffix(it) } }.distinct()
        return loha.map { loha(path, it, names, matrix, scalar) } + lokr.map { lokr(path, it, names, matrix, scalar) }
    }

    private val LOKR_FIRST = listOf(".lokr_w1", ".lokr_w1_a")

    private fun loha(path: Path, key: String, names: Set<String>, matrix: (String) -> LoraMatrix, scalar: (String) -> Float): Read {
        val parts = Parts(path, key, "LoHa", names, matrix)
        val rank = parts.need("hada_w1_b").rows
        val first = parts.factor("hada_w1_a", "hada_w1_b", "hada_t1")
        val second = parts.factor("hada_w2_a", "hada_w2_b", "hada_t2")
        if (first.rows != second.rows || first.cols != second.cols) {
            throw ModelFileException(path, key, "a LoHa's two products must have one shape: ${first.rows} × ${first.cols} and ${second.rows} × ${second.cols}")
        }
        val alpha = parts.optional("alpha")?.let { scalar(it) }
        return Read(LycorisLayer(key, LycorisLayer.Kind.LOHA, first, second, alpha?.let { it / rank } ?: 1f), parts.taken)
    }

    private fun lokr(path: Path, key: String, names: Set<String>, matrix: (String) -> LoraMatrix, scalar: (String) -> Float): Read {
        val parts = Parts(path, key, "LoKr", names, matrix)
        var rank = 1
        val first = parts.optional("lokr_w1")?.let { LycorisFactor.whole(parts.read(it)) } ?: run {
            rank = parts.need("lokr_w1_b").rows
            parts.factor("lokr_w1_a", "lokr_w1_b", null)
        }
        val second = parts.optional("lokr_w2")?.let { LycorisFactor.whole(parts.read(it)) } ?: run {
            rank = parts.need("lokr_w2_b").rows
            parts.factor("lokr_w2_a", "lokr_w2_b", "lokr_t2")
        }
        if (first.kernel != 1) {
            throw ModelFileException(path, key, "a LoKr's first factor is a matrix (out × in), not a convolution kernel")
        }
        val alpha = parts.optional("alpha")?.let { scalar(it) }
        val scale = if (alpha == null || rank == 1) 1f else alpha / rank
        return Read(LycorisLayer(key, LycorisLayer.Kind.LOKR, first, second, scale), parts.taken)
    }

    /** The tensors of one layer, read by suffix, with the names taken. */
    private class Parts(val path: Path, val key: String, val form: String, val names: Set<String>, val matrix: (String) -> LoraMatrix) {
        val taken = ArrayList<String>()
        private val read = HashMap<String, LoraMatrix>()

        fun optional(suffix: String): String? = "$key.$suffix".takeIf { it in names }?.also { if (it !in taken) taken.add(it) }

        fun need(suffix: String): LoraMatrix = read(optional(suffix)
            ?: throw ModelFileException(path, key, "a $form layer needs a tensor '$key.$suffix', which the file lacks"))

        fun read(name: String): LoraMatrix = read.getOrPut(name) { matrix(name) }

        /** up·down, or with a Tucker core [core] in the file the Tucker form. */
        fun factor(up: String, down: String, core: String?): LycorisFactor {
            val a = need(up)
            val b = need(down)
            val t = core?.let { optional(it) }?.let { read(it) }
            return try {
                if (t != null) LycorisFactor.tucker(t, a, b) else LycorisFactor.product(a, b)
            } catch (e: IllegalArgumentException) {
                throw ModelFileException(path, key, "the $form tensors ${listOfNotNull(up, down, core.takeIf { t != null })} do not fit together: ${e.message}", e)
            }
        }
    }
}
