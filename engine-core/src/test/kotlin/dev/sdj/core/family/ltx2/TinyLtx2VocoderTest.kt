package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Random

class TinyLtx2VocoderTest {
    @TempDir
    lateinit var dir: Path

    /**
     * The file as the engine opens it, the component loaded on the CPU as the loader stores it (f16 kernels stay f16),
     * decoded through [Ltx2Vocoding] against the reference on the same values: bound 3e-3 [measured 9.4e-4], the f16
     * im2col columns of the f16 kernels rounding the signal in every convolution.
     */
    @Test
    fun `the file holds the vocoder under vocoder·vocoder, which loads and decodes 8 mel frames to 1280 samples`() {
        val tiny = TinyLtx2Vocoder()
        val input = ModelOpener.openFile(tiny.write(dir.resolve("ltx-2.3-audio-vae.safetensors")), null)
        assertTrue(input.names.all { it.startsWith("vocoder.vocoder.") }, "every name under vocoder.vocoder.")
        val (components, ignored) = Ltx2Weights.split(listOf(input))
        assertEquals(emptyList<String>(), ignored)
        val vocoder = components.getValue(ComponentKind.VOCODER)
        assertEquals(tiny.entries.map { it.name }.toSet(), vocoder.tensors.keys)

        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val specs = ParamSpecs.of(vocoder, DeviceTypeSupport.of(ggml, cpu)).specs
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "vocoder").use { buffer ->
            ParamLoader().use { it.load(buffer, vocoder.tensors) }
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            assertEquals(GgmlType.F16, w.get("vocoder.resblocks.0.convs1.0.weight").type())
            val vocoding = Ltx2Vocoding(w)
            assertEquals(TinyLtx2Vocoder.TINY, vocoding.generator.dimensions)
            val mel = Nd.random(Random(5), 1.0, 64, 8, 2)
            val waveform = GraphSession(ggml, cpu.bufferType(), ComputeBackends.open(cpu, 2)).use { vocoding.decode(mel.toFloats(), 8, it) }
            val reference = Weights64 { name -> w.get(name).let { t -> Nd.of(t.getFloats(), *t.shape().map { it.toInt() }.toIntArray()) } }
            val expected = Ltx2VocoderReference64.vocoder(reference.at(Ltx2Vocoding.GENERATOR), TinyLtx2Vocoder.TINY, mel)
            assertEquals(8 * 160, waveform.length)
            assertClose(waveform.samples, expected, 3e-3, "tiny LTX-2.3 vocoder from its file, f16 kernels")
        }
    }

    @Test
    fun `the filters are BigVGAN's symmetric low-pass of unit gain`() {
        val f = TinyLtx2Vocoder.kaiserSinc(12)
        assertEquals(1.0, f.sumOf { it.toDouble() }, 1e-6)
        for (i in 0 until 6) assertEquals(f[i], f[11 - i], 1e-7f)
        assertTrue(f[5] > 0.4f && f[0] < 0.01f && f[0] > -0.01f, "a low-pass peaked in the middle: ${f.toList()}")
    }
}
