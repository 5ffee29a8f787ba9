package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.EditedTinyModel
import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.model.DType
import org.junit.jupiter.api.Assertions.assertTimeoutPreemptively
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Random

/**
 * Mutated models through open and generate: tensors dropped, renamed, added, reshaped, retyped or filled with NaN;
 * token embeddings and tokenizer lists shortened or lengthened. Each case ends in an image or one typed engine error; a ggml abort would end the test JVM.
 */
class GenerateFuzzTest {
    private val request = GenerationRequest.builder("a red (lighthouse:1.2) at dusk").size(32, 32).steps(1).seed(5).cfgScale(1.0)
        .device("CPU").threads(2).build()

    @Test
    fun `three hundred mutated models end in an image or a typed error`(@TempDir dir: Path) {
        val rnd = Random(20261128)
        val vocabulary = ClipVocabulary.tinyGenerated(400)
        val base = EditedTinyModel(vocabulary, arch(vocabulary.size))
        val names = base.tensors.map { it.name }
        var images = 0
        var typed = 0
        val reasons = HashMap<String, Int>()
        assertTimeoutPreemptively(Duration.ofMinutes(3)) {
            for (i in 0 until CASES) {
                val file = dir.resolve("case-$i.gguf")
                val (model, extra, edits, tokenizer, nans) = mutation(rnd, base, vocabulary, names)
                model.write(file, extra, nans, tokenizer) { t -> edits.fold<(EditedTinyModel.Tensor) -> EditedTinyModel.Tensor?, EditedTinyModel.Tensor?>(t) { acc, e -> acc?.let(e) } }
                try {
                    SdjEngine(EngineConfig.of(file)).use { it.generate(request) }
                    images++
                } catch (e: EngineException) {
                    typed++
                    reasons.merge(e.javaClass.simpleName, 1, Int::plus)
                } catch (e: Throwable) {
                    throw AssertionError("case $i escaped as ${e.javaClass.name}: ${e.message}", e)
                }
                Files.delete(file)
            }
        }
        println("generate fuzz: $images images, $typed typed errors $reasons")
        assertTrue(images > 0 && typed > 0, "both outcomes should occur: $images images, $typed errors")
    }

    private data class Mutation(
        val model: EditedTinyModel,
        val extra: List<EditedTinyModel.Tensor>,
        val edits: List<(EditedTinyModel.Tensor) -> EditedTinyModel.Tensor?>,
        val tokenizer: Pair<List<String>, List<String>>,
        val nanFilled: Set<String>,
    )

    private fun mutation(rnd: Random, base: EditedTinyModel, vocabulary: ClipVocabulary, names: List<String>): Mutation {
        val edits = ArrayList<(EditedTinyModel.Tensor) -> EditedTinyModel.Tensor?>()
        val extra = ArrayList<EditedTinyModel.Tensor>()
        var model = base
        var tokens = vocabulary.tokens
        var merges = vocabulary.merges
        val nans = HashSet<String>()
        repeat(1 + rnd.nextInt(2)) {
            val target = names[rnd.nextInt(names.size)]
            fun on(change: (EditedTinyModel.Tensor) -> EditedTinyModel.Tensor?) = edits.add { t -> if (t.name == target) change(t) else t }
            when (rnd.nextInt(10)) {
                0 -> on { null }
                1 -> on { t -> t.copy(shape = t.shape.toMutableList().also { s -> val d = rnd.nextInt(s.size); s[d] = resized(s[d], rnd) }) }
                2 -> on { t -> t.copy(type = retyped(t, rnd)) }
                3 -> base.tensors.first { it.name == target }.let { t -> extra.add(t.copy(name = renumbered(t.name, rnd))) }
                4 -> on { t -> t.copy(name = renumbered(t.name, rnd)) }
                5 -> on { t -> t.copy(shape = t.shape.reversed()) }
                6 -> {
                    val rows = vocabulary.size + listOf(-1, -200, 1, -vocabulary.size + 1)[rnd.nextInt(4)]
                    model = EditedTinyModel(vocabulary, arch(rows))
                }
                7 -> on { t -> t.copy(shape = listOf(t.shape.fold(1L) { a, b -> a * b })) }
                8 -> nans.add(target)
                else -> when (rnd.nextInt(3)) {
                    0 -> tokens = tokens.take(rnd.nextInt(tokens.size))
                    1 -> merges = merges.take(rnd.nextInt(merges.size)) + merges.takeLast(rnd.nextInt(merges.size))
                    else -> tokens = tokens + List(1 + rnd.nextInt(600)) { "extra$it</w>" }
                }
            }
        }
        return Mutation(model, extra, edits, tokens to merges, nans)
    }

    /** SD 1.x's structure at its smallest: two UNet levels, one block each, the VAE's four levels one block deep, one CLIP layer. */
    private fun arch(vocabularyRows: Int) = SdArchitecture(
        unet = SdArchitecture.Unet(modelChannels = 32, channelMult = listOf(1, 2), resBlocksPerLevel = 1, attentionLevels = setOf(1), contextDim = 32),
        vae = SdArchitecture.Vae(channels = 32, channelMult = listOf(1, 1, 1, 1), resBlocksPerLevel = 1),
        clip = SdArchitecture.Clip(vocabSize = vocabularyRows, hidden = 32, layers = 1),
    )

    private fun resized(n: Long, rnd: Random): Long = when (rnd.nextInt(4)) {
        0 -> 1L
        1 -> maxOf(1L, n / 2)
        2 -> n * 2
        else -> n + 1
    }

    /** Float types, and integer ones the engine must refuse; bf16 only off convolutions (kernels of ggml's im2col). */
    private fun retyped(t: EditedTinyModel.Tensor, rnd: Random): DType {
        val types = if (t.shape.size == 4) listOf(DType.F32, DType.F16, DType.I32, DType.I8) else listOf(DType.F32, DType.BF16, DType.I32, DType.F64)
        return types[rnd.nextInt(types.size)]
    }

    /** The name with one of its block numbers changed, or an unrelated suffix: an extra or a misnamed tensor. */
    private fun renumbered(name: String, rnd: Random): String {
        val numbers = Regex("\\.(\\d+)\\.").findAll(name).toList()
        if (numbers.isEmpty() || rnd.nextInt(4) == 0) return "$name.extra"
        val m = numbers[rnd.nextInt(numbers.size)].groups[1]!!
        return name.replaceRange(m.range, (m.value.toInt() + 1 + rnd.nextInt(2)).toString())
    }

    private companion object {
        const val CASES = 300
    }
}
