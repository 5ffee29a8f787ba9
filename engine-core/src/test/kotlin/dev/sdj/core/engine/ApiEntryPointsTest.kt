package dev.sdj.core.engine

import dev.sdj.api.DeviceReport
import dev.sdj.api.Engine
import dev.sdj.api.EngineException
import dev.sdj.api.GeneratedAudio
import dev.sdj.api.GeneratedVideo
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ModelInspection
import dev.sdj.api.Sampler
import dev.sdj.api.Tools
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import javax.sound.sampled.AudioSystem

/** engine-api's static entry points reach this implementation through the ServiceLoader and answer as the CLI needs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiEntryPointsTest {
    private val dir: Path = Files.createTempDirectory("sdj-api-entry-points")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val model: Path = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
        .writeSingleFile(dir.resolve("tiny.gguf"), vocab.tokens to vocab.merges)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    @Test
    fun inspectionNamesTheFamilyItsComponentsAndTheirBytesOnEveryDevice() {
        val inspection = ModelInspection.of(EngineConfig.of(model))
        assertEquals("SD1", inspection.family())
        assertEquals(listOf("DIFFUSION_MODEL", "TEXT_ENCODER", "VAE"), inspection.components().map { it.role().kind() }.sorted())
        val devices = DeviceReport.current().devices().map { it.name() }
        for (c in inspection.components()) {
            assertEquals(devices.toSet(), c.deviceBytes().keys, c.role().label())
            assertEquals(c.fileBytes(), c.bytesByType().values.sum(), c.role().label())
        }
        assertEquals(listOf("TEXT_ENCODER"), inspection.tokenizers().map { it.encoder().kind() })
        assertEquals(emptyList<ModelInspection.Role>(), inspection.missingTokenizers())
    }

    @Test
    fun anEngineWithItsOwnCacheDirectoryKeepsTheModelHashThere() {
        val cache = dir.resolve("cache")
        val config = EngineConfig.builder().model(model).cacheDirectory(cache).build()
        Engine.open(config).use {
            it.generate(GenerationRequest.builder("a lighthouse").size(64, 64).steps(1).cfgScale(1.0).sampler(Sampler.EULER)
                .device("CPU").threads(2).build())
        }
        val hashes = Files.readString(cache.resolve("model-hashes.tsv"))
        assertTrue(hashes.contains(model.toAbsolutePath().normalize().toString()), hashes)
    }

    @Test
    fun aConversionTypeIsSpelledAsGgmlDoesAndAnUnknownOneNamesTheValidOnes() {
        assertEquals("q4_K", Tools.get().conversionType("q4_K"))
        val e = assertThrows<InvalidRequestException> { Tools.get().conversionType("q9_0") }
        assertTrue(e.message!!.startsWith("cannot convert to 'q9_0'; one of: f32, f16, bf16"), e.message)
    }

    @Test
    fun aVideoIsWrittenInTheFormatItsNameAsks() {
        val video = GeneratedVideo(4, 2, 24, 1, List(3) { t -> ByteArray(24) { (it * 9 + t * 50).toByte() } })
        val magic = mapOf("v.mp4" to (4 to "ftyp"), "v.avi" to (8 to "AVI "), "v.webp" to (8 to "WEBP"))
        for ((name, at) in magic) {
            Tools.get().writeVideo(video, "a cat", dir.resolve(name))
            val bytes = Files.readAllBytes(dir.resolve(name))
            assertEquals(at.second, String(bytes, at.first, 4, Charsets.US_ASCII), name)
        }
        Tools.get().writeVideo(video, null, dir.resolve("v_%02d.png"))
        assertEquals(listOf(true, true, true, false), (0..3).map { Files.isRegularFile(dir.resolve("v_0$it.png")) })
    }

    @Test
    fun aClipsSoundGoesIntoTheContainerOrBesideAFormatWithoutAudio() {
        // 3 frames at 24 fps last 1/8 s: 2000 sample frames at 16 kHz, whatever the sound's own length.
        val sound = GeneratedAudio(16000, 2, FloatArray(2 * 1500) { (it % 7) / 10f })
        val video = GeneratedVideo(4, 2, 24, 1, List(3) { ByteArray(24) }, Optional.of(sound))
        Tools.get().writeVideo(video, null, dir.resolve("s.avi"))
        val avi = Files.readAllBytes(dir.resolve("s.avi"))
        assertTrue(String(avi, Charsets.US_ASCII).contains("01wb"), "the AVI has an audio stream")
        Tools.get().writeVideo(video, null, dir.resolve("s.webp"))
        val wav = AudioSystem.getAudioFileFormat(dir.resolve("s.wav").toFile())
        assertEquals(2000L, wav.frameLength.toLong())
        assertEquals(2, wav.format.channels)
        assertEquals(16000f, wav.format.sampleRate)
    }

    @Test
    fun aVideoThatCannotBeWrittenIsATypedErrorNamingThePath() {
        val odd = GeneratedVideo(3, 3, 24, 1, listOf(ByteArray(27)))
        val mp4 = dir.resolve("odd.mp4")
        val shape = assertThrows<InvalidRequestException> { Tools.get().writeVideo(odd, null, mp4) }
        assertTrue(shape.message!!.contains(mp4.toString()) && shape.message!!.contains("even width and height"), shape.message)
        assertThrows<InvalidRequestException> { Tools.get().writeVideo(odd, null, dir.resolve("odd.mkv")) }
        val missing = dir.resolve("no-such-dir").resolve("v.avi")
        val io = assertThrows<EngineException> { Tools.get().writeVideo(odd, null, missing) }
        assertTrue(io.message!!.contains(missing.toString()), io.message)
    }

    @Test
    fun anUnknownBenchmarkArchitectureIsRefusedBeforeAnythingIsWritten() {
        val e = assertThrows<InvalidRequestException> { Tools.get().benchmarks().prepare("sd3", dir.resolve("sd3.gguf")) }
        assertTrue(e.message!!.contains("sd15, sdxl"), e.message)
        assertTrue(Files.notExists(dir.resolve("sd3.gguf")))
    }

    @Test
    fun theDemoModelIsOneFileInTheCache() {
        val demo = EngineConfig.demo().model()
        assertEquals(1, demo.size)
        assertTrue(Files.isRegularFile(demo[0]), demo.toString())
    }
}
