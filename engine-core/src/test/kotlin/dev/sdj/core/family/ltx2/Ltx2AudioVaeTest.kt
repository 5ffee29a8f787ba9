package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * LTX-2's audio decoder against [Ltx2AudioVaeReference64], on the CPU and on Vulkan (lavapipe in CI), with f16
 * kernels as the device holds the checkpoint's. Errors are max|ggml − ref| / max|ref|; the bound [DECODER] 3e-3 is a
 * few times above what these seeds give: the input of every convolution is rounded to f16 in its im2col columns.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2AudioVaeTest {
    private val tiny = Ltx2AudioVaeReference64.weights(31)

    @AfterAll
    fun close() = tiny.close()

    private fun latent(seed: Long, length: Int, d: Ltx2AudioVaeDimensions = TinyLtx2AudioVae.TINY) =
        Nd.random(Random(seed), 1.0, d.latentBins.toInt(), length, d.latentChannels.toInt())

    private fun decoder(rw: RandomWeights, dims: Ltx2AudioVaeDimensions, device: Device, length: Int, seed: Long, what: String) {
        val z = latent(seed, length, dims)
        val actual = rw.run(device, mapOf(Ltx2AudioVae.INPUT to z), build = Ltx2AudioVae(dims).graph(rw.on(device), length))
        val expected = Ltx2AudioVaeReference64.decode(rw.reference, dims, z)
        assertEquals(listOf(dims.melBins.toInt(), dims.melFrames(length), dims.audioChannels.toInt()), expected.ne.toList())
        assertClose(actual, expected, DECODER, "$what (${device.name()})")
    }

    @Test
    fun `dimensions are read from the weights, LTX-2_3's included`() {
        assertEquals(TinyLtx2AudioVae.TINY, Ltx2AudioVaeDimensions.of(tiny.on()))
        val real = Ltx2AudioVaeTensors.of(Ltx2AudioVaeDimensions.LTX_2_3).associate { it.name to it.torchShape.reversed() }
        assertEquals(Ltx2AudioVaeDimensions.LTX_2_3, Ltx2AudioVaeDimensions.of { real[it] })
        assertEquals(64L, Ltx2AudioVaeDimensions.LTX_2_3.melBins)
        assertEquals(4 * 25 - 3, Ltx2AudioVaeDimensions.LTX_2_3.melFrames(25))
    }

    @Test
    fun `a block whose conv1 does not read the level's channels is refused by name`() {
        val shapes = Ltx2AudioVaeTensors.of(TinyLtx2AudioVae.TINY).associate { it.name to it.torchShape.reversed() }.toMutableMap()
        shapes["decoder.up.1.block.1.conv1.conv.weight"] = listOf(3L, 3L, 32L, 16L)
        val e = assertThrows(IllegalArgumentException::class.java) { Ltx2AudioVaeDimensions.of { shapes[it] } }
        assertTrue("up.1.block.1.conv1" in e.message!!, e.message)
    }

    @Test
    fun `the tiny decoder turns 3 latent frames into 9 mel frames of 64 bins on the CPU`() =
        decoder(tiny, TinyLtx2AudioVae.TINY, tiny.cpu, 3, 1, "LTX-2 audio decoder, 3 latent frames")

    @Test
    fun `the tiny decoder on Vulkan`() =
        decoder(tiny, TinyLtx2AudioVae.TINY, tiny.vulkan(), 3, 2, "LTX-2 audio decoder, 3 latent frames")

    /** One level alone between conv_in and conv_out. */
    private fun level(level: Ltx2AudioVaeLevel, device: Device, seed: Long) {
        val dims = TinyLtx2AudioVae.TINY.copy(hidden = level.inChannels, midBlocks = 0, levels = listOf(level))
        Ltx2AudioVaeReference64.weights(seed, dims).use { rw -> decoder(rw, dims, device, 4, seed, "LTX-2 audio decoder level $level") }
    }

    @Test
    fun `a level that changes the channels and upsamples, on the CPU and Vulkan`() {
        val up = Ltx2AudioVaeLevel(1, 16, 8, 2, upsamples = true)
        level(up, tiny.cpu, 21)
        level(up, tiny.vulkan(), 22)
    }

    @Test
    fun `a level that keeps its channels, without upsampling, on the CPU`() =
        level(Ltx2AudioVaeLevel(0, 8, 8, 1, upsamples = false), tiny.cpu, 23)

    @Test
    fun `the decoding entry point runs the graph over a session, one latent frame giving one mel frame`() {
        val z = latent(4, 1)
        val ggml = tiny.ggml
        val mel = GraphSession(ggml, tiny.cpu.bufferType(), ComputeBackends.open(tiny.cpu, 2)).use { session ->
            val decoding = Ltx2AudioDecoding(Ltx2AudioVae(TinyLtx2AudioVae.TINY), tiny.on())
            val e = assertThrows(IllegalArgumentException::class.java) { decoding.decode(z.toFloats(), 2, session) }
            assertTrue("not 2 frames" in e.message!!, e.message)
            decoding.decode(z.toFloats(), 1, session)
        }
        assertEquals(listOf(64, 1, 2), listOf(mel.bins, mel.frames, mel.channels))
        assertClose(mel.values, Ltx2AudioVaeReference64.decode(tiny.reference, TinyLtx2AudioVae.TINY, z), DECODER, "LTX-2 audio decoding, 1 latent frame")
    }

    /**
     * LTX-2.3's decoder at real channel counts, measured by ggml's allocator without running (weights given memory,
     * never written): the compute buffer for 1 s, 4 s and 16 s of audio (25 latent frames a second) grows linearly.
     */
    @Test
    fun `the LTX-2_3 decoder's compute buffer grows linearly with the clip`() {
        val ggml = tiny.ggml
        val cpu = tiny.cpu
        val dims = Ltx2AudioVaeDimensions.LTX_2_3
        val specs = Ltx2AudioVaeTensors.of(dims).map { e ->
            ParamSpec(e.name, if (e.isKernel) GgmlType.F16 else GgmlType.F32, ParamSpecs.ggmlShape(e.torchShape.reversed()))
        }
        ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, "LTX-2.3 audio decoder shapes").use { buffer ->
            val w = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            val vae = Ltx2AudioVae(Ltx2AudioVaeDimensions.of(w))
            val mib = listOf(25, 100, 400).map { length -> CompiledGraph.measure(ggml, cpu.bufferType(), build = vae.graph(w, length)) / MIB }
            println("LTX-2.3 audio decoder compute buffer, 1 s / 4 s / 16 s: %.1f / %.1f / %.1f MiB (weights %.1f MiB)"
                .format(mib[0], mib[1], mib[2], buffer.bytes / MIB))
            val perSecond = (mib[2] - mib[1]) / 12
            assertTrue(perSecond > 0 && kotlin.math.abs((mib[1] - mib[0]) / 3 - perSecond) < 0.05 * perSecond, "linear in the length: $mib")
        }
    }

    private companion object {
        const val DECODER = 3e-3
        const val MIB = 1024.0 * 1024
    }
}
