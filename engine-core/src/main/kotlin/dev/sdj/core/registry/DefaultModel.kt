package dev.sdj.core.registry

import dev.sdj.api.EngineException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.ggml.CacheTemps
import dev.sdj.ggml.NativesDirectory
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

/**
 * The model `sdj generate` uses when given none: a tiny SD 1.x-structured GGUF with random weights and its own
 * generated CLIP-style vocabulary in its metadata (the real CLIP vocabulary may not ship with the engine). It is
 * written once into the cache; its images are noise-like by design and only show the engine works end to end.
 */
object DefaultModel {
    const val NAME = "tiny-random-sd1-v2.gguf"

    /** What the model is written as before it is renamed into place; a killed run's leftovers are swept. */
    const val TEMP_KIND = "default-model"

    fun path(cacheRoot: Path): Path {
        val target = cacheRoot.resolve("models").resolve(NAME)
        CacheTemps.sweep(target.parent, TEMP_KIND)
        if (Files.isRegularFile(target)) return target
        try {
            write(target)
        } catch (e: IOException) {
            throw EngineException("cannot write the built-in tiny model into ${target.parent} (${e.javaClass.simpleName}: " +
                "${e.message}); set ${NativesDirectory.CACHE_ENV} to a writable directory", e)
        }
        return target
    }

    private fun write(target: Path) {
        Files.createDirectories(target.parent)
        val vocab = ClipVocabulary.tinyGenerated(400)
        val arch = TinySdModel.SD1_TINY.copy(clip = TinySdModel.SD1_TINY.clip.copy(vocabSize = vocab.size))
        val tmp = Files.createTempFile(target.parent, CacheTemps.prefix(TEMP_KIND), ".gguf")
        try {
            TinySdModel(arch).writeSingleFile(tmp, vocab.tokens to vocab.merges)
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
        } finally {
            Files.deleteIfExists(tmp)
        }
    }
}
