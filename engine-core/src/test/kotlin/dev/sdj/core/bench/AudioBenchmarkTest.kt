package dev.sdj.core.bench

import dev.sdj.core.family.ltx2.TinyLtx2AudioVae
import dev.sdj.core.family.ltx2.TinyLtx2Vocoder
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The sound benchmark on the tiny audio VAE and a tiny base vocoder of one AMP block a level (cheap: the extension would triple the samples, three blocks the time): its lengths, phases and buffers. */
class AudioBenchmarkTest {
    @Test
    fun `a 24 fps clip's audio latent frames follow its length`() {
        assertEquals(listOf(27, 102, 402), listOf(1, 4, 16).map(AudioBenchmark::latentFrames))
    }

    @Test
    fun `each length is decoded through both phases, shortest first, the audio VAE's buffer growing with it`(@TempDir dir: Path) {
        val files = listOf(
            TinyLtx2AudioVae().write(dir.resolve("audio-vae.safetensors")),
            TinyLtx2Vocoder(TinyLtx2Vocoder.TINY.copy(blockKernels = listOf(3))).write(dir.resolve("vocoder.safetensors")),
        )
        val logged = ArrayList<String>()
        val runs = AudioBenchmark.run(files, listOf(2, 1), Ggml.get().cpu(), 2) { logged += it }
        assertEquals(listOf(1, 2), runs.map { it.seconds })
        assertEquals(listOf(27, 52), runs.map { it.latentFrames })
        assertEquals(listOf(4 * 27 - 3, 4 * 52 - 3), runs.map { it.melFrames })
        assertTrue(runs.all { it.vaeSeconds > 0 && it.vocoderSeconds > 0 && it.sampleRate == 16_000 }, runs.toString())
        assertTrue(runs[1].vaeComputeBytes > 1.5 * runs[0].vaeComputeBytes, "the audio VAE decodes in one graph: ${runs.map { it.vaeComputeBytes }}")
        assertTrue(runs.all { it.vocoderComputeBytes > 0 && it.peakRssBytes > 0 }, runs.toString())
        assertEquals(2, logged.size)
        assertTrue(logged[0].startsWith("1 s (27 latent frames): audio VAE "), logged[0])
    }
}
