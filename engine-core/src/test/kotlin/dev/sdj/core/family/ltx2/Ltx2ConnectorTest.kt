package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.ltx2.Ltx2TinyText.AUDIO
import dev.sdj.core.family.ltx2.Ltx2TinyText.HIDDEN
import dev.sdj.core.family.ltx2.Ltx2TinyText.PLANES
import dev.sdj.core.family.ltx2.Ltx2TinyText.TOKENS
import dev.sdj.core.family.ltx2.Ltx2TinyText.VALID
import dev.sdj.core.family.ltx2.Ltx2TinyText.VIDEO
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Random
import kotlin.math.PI
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.max
import kotlin.math.pow

/**
 * [Ltx2Connector] and [Ltx2TextContext] against [Ltx2Reference64] on [Ltx2TinyText]'s sizes: connectors 64 (video)
 * and 32 (audio) wide, 4 gated heads, 2 blocks, 128 registers, 8 prompt tokens filled to 1024.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds a few times above what these seeds give (in brackets). Measured on the
 * reference, the mistakes this catches (block / two-block connector): interleaved RoPE pairs instead of split halves
 * 0.13 / 0.21, one frequency run shared by every head instead of each head its own 0.13 / 0.23, gates sigmoid without
 * the factor 2 0.09 / 0.23, registers counted from 0 at the prompt's end instead of continuing the tiling 1.6 / 1.4.
 * - [CPU] 2e-3 [block 2.0e-4, connector 3.1e-4, both contexts 3.1e-4]: f32 but GELU, which ggml's CPU backend reads
 *   from a table at f16 inputs.
 * - [VULKAN] 3e-3 [block 2.7e-4, connector 5.3e-4, both contexts 4.6e-4 on lavapipe]: mul_mat operands rounded to f16.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2ConnectorTest {
    private val weights = Ltx2TinyText.weights(31)
    private val cpu = weights.cpu

    @AfterAll
    fun close() = weights.close()

    @Test
    fun `dimensions are read from the weights`() {
        val w = weights.on(cpu)
        assertEquals(Ltx2ConnectorDimensions(width = 64, heads = 4, blocks = 2, registers = 128, feedForward = 256, gated = true),
            Ltx2ConnectorDimensions.of(w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR)))
        assertEquals(Ltx2ConnectorDimensions(width = 32, heads = 4, blocks = 2, registers = 128, feedForward = 128, gated = true),
            Ltx2ConnectorDimensions.of(w.at(Ltx2TextArchitecture.AUDIO_CONNECTOR)))
    }

    @Test
    fun `the sequence is at least 1024 tokens, in whole copies of the registers`() {
        val d = Ltx2ConnectorDimensions(width = 64, heads = 4, blocks = 2, registers = 128, feedForward = 256, gated = true)
        assertEquals(1024, d.sequence(8))
        assertEquals(1024, d.sequence(1024))
        assertEquals(1152, d.sequence(1025))
        assertEquals(1056, d.copy(registers = 48).sequence(8))
        val rows = d.registerRows(8)
        assertEquals(1016, rows.size)
        assertEquals(listOf(8, 9, 127, 0, 1), listOf(rows[0], rows[1], rows[119], rows[120], rows[121]))
        assertEquals(0, d.registerRows(1024).size)
    }

    /**
     * The table against the frequencies written out: head h, pair j turns by θ^((h·d/2 + j)/(width/2 − 1))·π/2 ·
     * (2p/4096 − 1). In float64 throughout the difference is the f32 rounding of the angle [≤ 4.9e-4, half an f32
     * step between 8192 and 16384 rad; 4.8e-4 measured]; a table indexed by pair only (every head alike) differs by 2.0.
     */
    @Test
    fun `the RoPE table holds each head's own frequencies`() {
        val width = 64
        val heads = 4
        val tokens = 1024
        val table = Ltx2ConnectorRope.table(width, heads, tokens)
        var diff = 0.0
        for (p in 0 until tokens) for (h in 0 until heads) for (j in 0 until 8) {
            val angle = 10_000.0.pow((h * 8 + j) / 31.0) * PI / 2 * (2.0 * p / 4096 - 1)
            diff = max(diff, abs(table[j + 8 * (h + heads * p)] - cos(angle)))
        }
        println("rope table against float64 angles: %.1e".format(diff))
        assertTrue(diff < 1e-3, "the table's cosines differ from the frequencies by $diff")
    }

    private fun features(seed: Long, width: Int) = Nd.random(Random(seed), 1.0, width, VALID)

    private fun rowsOf(values: IntArray): ByteBuffer {
        val b = ByteBuffer.allocateDirect(4 * values.size).order(ByteOrder.nativeOrder())
        values.forEach { b.putInt(it) }
        return b.flip()
    }

    /** Block 0 of the video connector over 8 prompt tokens and 1016 registers. */
    private fun blockTest(device: Device, bound: Double, seed: Long) {
        val x = features(seed, 64)
        val w = weights.on(device)
        val connector = Ltx2Connector.of(w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR), "video")
        val rows = connector.dimensions.registerRows(VALID)
        val graph = CompiledGraph(weights.ggml, device.bufferType()) { g ->
            val cw = w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR)
            val input = g.input("x", GgmlType.F32, 64, VALID.toLong())
            val r = g.input("rows", GgmlType.I32, rows.size.toLong())
            val pe = g.input("pe", GgmlType.F32, 8, 4, 1024, 2)
            connector.block(g.nn, cw.at("transformer_1d_blocks.0"), connector.withRegisters(g.nn, cw, input, r), pe)
        }
        val actual = graph.use {
            it.input("x").setFloats(x.toFloats())
            it.input("rows").write(rowsOf(rows), 0)
            it.input("pe").setFloats(Ltx2ConnectorRope.table(64, 4, 1024))
            ComputeBackends.open(device, 2).use { b -> it.run(b) }
        }
        val r = weights.reference.at(Ltx2TextArchitecture.VIDEO_CONNECTOR)
        val expected = Ltx2Reference64.block(r.at("transformer_1d_blocks.0"), Ltx2Reference64.withRegisters(r, x), VIDEO.heads)
        assertClose(actual, expected, bound, "LTX-2 connector block with registers (${device.name()})")
    }

    @Test
    fun `a block with registers on the CPU`() = blockTest(cpu, CPU, 1)

    @Test
    fun `a block with registers on Vulkan`() = blockTest(weights.vulkan(), VULKAN, 2)

    /** A whole connector through [Ltx2Connector.build] and [Ltx2Connector.setInputs]; 48 registers round 1024 up to 1056. */
    private fun connectorTest(device: Device, bound: Double, seed: Long) {
        val spec = VIDEO.let { Ltx2Reference64.Connector(it.width, it.heads, it.blocks, registers = 48) }
        Ltx2TinyText.weights(seed, video = spec).use { rw ->
            val x = features(seed, 64)
            val w = rw.on(device).at(Ltx2TextArchitecture.VIDEO_CONNECTOR)
            val connector = Ltx2Connector.of(w, "video")
            val actual = CompiledGraph(rw.ggml, device.bufferType()) { g ->
                connector.build(g, w, g.input("x", GgmlType.F32, 64, VALID.toLong()))
            }.use { graph ->
                assertEquals(listOf(64L, 1056L, 1L, 1L), graph.output.shape().toList())
                graph.input("x").setFloats(x.toFloats())
                connector.setInputs(graph, VALID)
                ComputeBackends.open(device, 2).use { graph.run(it) }
            }
            val expected = Ltx2Reference64.connect(rw.reference.at(Ltx2TextArchitecture.VIDEO_CONNECTOR), x, spec)
            assertClose(actual, expected, bound, "LTX-2 connector, 2 blocks, 48 registers (${device.name()})")
        }
    }

    @Test
    fun `a whole connector on the CPU`() = connectorTest(cpu, CPU, 3)

    @Test
    fun `a whole connector on Vulkan`() = connectorTest(weights.vulkan(), VULKAN, 4)

    /** Stacked states to both contexts, [video + audio width, 1024], as the conditioning phase runs it. */
    private fun contextTest(rw: RandomWeights, device: Device, bound: Double, seed: Long) {
        val stack = Ltx2TinyText.stack(seed)
        val w = rw.on(device)
        val text = Ltx2TextContext.of(w)
        val actual = CompiledGraph(rw.ggml, device.bufferType()) { g ->
            text.build(g, w, HIDDEN.toLong(), TOKENS.toLong(), PLANES.toLong(), VALID)
        }.use { graph ->
            assertEquals(listOf(96L, 1024L, 1L, 1L), graph.output.shape().toList(), "[video + audio width, L]")
            graph.input(Ltx2TextContext.STATES).setFloats(stack.toFloats())
            text.setInputs(graph, VALID)
            ComputeBackends.open(device, 2).use { graph.run(it) }
        }
        val expected = Ltx2Reference64.context(rw.reference, stack, VALID, VIDEO, AUDIO)
        assertClose(actual, expected, bound, "LTX-2 text contexts, video and audio (${device.name()})")
    }

    @Test
    fun `both contexts from the stack on the CPU`() = contextTest(weights, cpu, CPU, 5)

    @Test
    fun `both contexts from the stack on Vulkan`() = contextTest(weights, weights.vulkan(), VULKAN, 6)

    @Test
    fun `setInputs refuses a prompt length the graph was not built for`() {
        val w = weights.on(cpu)
        val text = Ltx2TextContext.of(w)
        CompiledGraph(weights.ggml, cpu.bufferType()) { g -> text.build(g, w, HIDDEN.toLong(), TOKENS.toLong(), PLANES.toLong(), VALID) }.use { graph ->
            val longer = runCatching { text.setInputs(graph, 1100) }.exceptionOrNull()
            assertTrue(longer is IllegalArgumentException, "1100 tokens need 1152 positions, the graph has 1024: $longer")
        }
        val eightHeads = Ltx2Connector(Ltx2ConnectorDimensions(64, 8, 2, 128, 256, true), "x")
        val other = runCatching {
            CompiledGraph(weights.ggml, cpu.bufferType()) { g ->
                eightHeads.build(g, w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR), g.input("x", GgmlType.F32, 64, VALID.toLong()))
            }.close()
        }.exceptionOrNull()
        assertTrue(other is IllegalArgumentException, "weights of 4 heads into a connector of 8: $other")
    }

    private companion object {
        const val CPU = 2e-3
        const val VULKAN = 3e-3
    }
}
