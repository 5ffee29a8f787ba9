package dev.sdj.core.family.ltx2

import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.FlashAttention
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Nn
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.DType
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.scheduler.BlockSchedule
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Random
import kotlin.math.abs

/**
 * [Ltx2Dit] against [Ltx2DitReference64] on [Ltx2DitDimensions.TINY] (video 64 wide in 4 heads, audio 32 in 4, contexts
 * 64 + 32, gated, cross-attention AdaLN), with [Ltx2DitRope]'s tables on both sides.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds a few times above what these seeds give (in brackets). For scale, on
 * the reference: σ 0.69 instead of 0.7 moves the DiT's output by 0.42, the cross-attention time table at 12 instead of
 * 24 fps by 0.25, and feeding the cross-modal AdaLN modules σ·1000 (as diffusers does) instead of sd.cpp's σ moves one
 * block's streams by 0.30.
 * - [CPU] 2e-3 [block 9.3e-5, block with a σ per video frame 1.3e-4, DiT 1.3e-4, with a σ per video frame 9.7e-5]: f32
 *   but GELU, which ggml's CPU backend reads from a table at f16 inputs.
 * - [VULKAN] 3e-3 [block 3.1e-4, with a σ per video frame 2.6e-4, DiT 2.9e-4 on lavapipe]: mul_mat operands rounded to f16.
 * - [FLASH] 2e-3 [DiT 2.9e-4 on the CPU]: ggml's fused attention rounds k and v (and q, on the CPU) to f16.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2DitTest {
    private val d = Ltx2DitDimensions.TINY
    private val weights = Ltx2DitReference64.weights(41)
    private val cpu = weights.cpu

    @AfterAll
    fun close() = weights.close()

    @Test
    fun `dimensions are read from the weights`() {
        assertEquals(d, Ltx2DitDimensions.of(weights.on(cpu)))
    }

    private fun tables(frames: Int, height: Int, width: Int, length: Int) = Ltx2DitReference64.Tables(
        Ltx2DitRope.video(d, frames, height, width, FPS), Ltx2DitRope.audio(d, length), Ltx2DitRope.videoTime(d, frames, height, width, FPS))

    /**
     * Block 1 alone over 2 frames of 2 × 3 video cells, 7 audio steps and 16 context tokens, all six sub-steps; with
     * [frameSigmas] each frame's tokens' AdaLN at the frame's σ (image-to-video's per-token timestep), which the
     * reference takes token by token.
     * @return the reference's streams, video then audio
     */
    private fun blockTest(device: Device, bound: Double, seed: Long, frameSigmas: FloatArray? = null): Nd {
        val cells = 12
        val length = 7
        val tokens = 16
        val (video, audio, videoContext, audioContext) = blockInputs(seed)
        val t = tables(2, 2, 3, length)
        val w = weights.on(device)
        val inputs = mapOf("v" to video, "a" to audio, "vc" to videoContext, "ac" to audioContext, "sigma" to Nd.of(floatArrayOf(SIGMA), 1),
            "vpe" to Nd.of(t.video, t.video.size), "ape" to Nd.of(t.audio, t.audio.size), "tpe" to Nd.of(t.videoTime, t.videoTime.size)) +
            (frameSigmas?.let { mapOf("vsigma" to Nd.of(it, it.size)) } ?: emptyMap())
        val actual = weights.run(device, inputs) { g ->
            val dit = Ltx2DitGraph(g.nn, d)
            val rope = Ltx2DitGraph.Rope(g.input("vpe", GgmlType.F32, 8, 4, cells.toLong(), 2), g.input("ape", GgmlType.F32, 4, 4, length.toLong(), 2),
                g.input("tpe", GgmlType.F32, 4, 4, cells.toLong(), 2))
            val joint = dit.join(g.input("v", GgmlType.F32, 64, cells.toLong(), 1), g.input("a", GgmlType.F32, 32, length.toLong(), 1))
            val perFrame = frameSigmas?.let { g.input("vsigma", GgmlType.F32, it.size.toLong()) }
            dit.block(w.at("transformer_blocks.1"), joint, cells.toLong(), length.toLong(), g.input("vc", GgmlType.F32, 64, tokens.toLong(), 1),
                g.input("ac", GgmlType.F32, 32, tokens.toLong(), 1), dit.modulations(w, g.input("sigma", GgmlType.F32, 1), perFrame), rope)
        }
        val expected = referenceBlock(seed, frameSigmas?.let { tokenSigmas(it, cells) })
        assertClose(actual, expected, bound, "LTX-2 AV block${if (frameSigmas != null) ", σ per video frame" else ""} (${device.name()})")
        return expected
    }

    /** Each of [tokens] video tokens' σ: its frame's of [frameSigmas], the frames' tokens one after another. */
    private fun tokenSigmas(frameSigmas: FloatArray, tokens: Int): DoubleArray =
        DoubleArray(tokens) { frameSigmas[it / (tokens / frameSigmas.size)].toDouble() }

    /** The block's video (64 × 12 cells) and audio (32 × 7) streams, then its video and audio contexts (16 tokens). */
    private fun blockInputs(seed: Long): List<Nd> {
        val rnd = Random(seed)
        return listOf(Nd.random(rnd, 1.0, 64, 12), Nd.random(rnd, 1.0, 32, 7), Nd.random(rnd, 1.0, 64, 16), Nd.random(rnd, 1.0, 32, 16))
    }

    /** [blockTest]'s reference: the streams after the block, video then audio. */
    private fun referenceBlock(seed: Long, videoSigmas: DoubleArray?): Nd {
        val (video, audio, videoContext, audioContext) = blockInputs(seed)
        val r = weights.reference
        val m = Ltx2DitReference64.modulations(r, SIGMA.toDouble(), crossAdaln = true, videoSigmas)
        val (v, a) = Ltx2DitReference64.block(r.at("transformer_blocks.1"), video, audio, videoContext, audioContext, m, tables(2, 2, 3, 7), d)
        return Nd(intArrayOf(v.d.size + a.d.size), v.d + a.d)
    }

    @Test
    fun `an AV block on the CPU`() = blockTest(cpu, CPU, 1).let { }

    @Test
    fun `an AV block on Vulkan`() = blockTest(weights.vulkan(), VULKAN, 2).let { }

    /**
     * Image-to-video's modulation: the first frame's 6 cells at 0.25 σ (sd.cpp's mask at strength 0.75), the others
     * at σ. The reference at one σ for all differs on the first frame's tokens by far more than the bound, so the
     * first frame's rows are what the test checks.
     */
    private fun tokenTimestepBlockTest(device: Device, bound: Double) {
        val perToken = blockTest(device, bound, 1, floatArrayOf(0.25f * SIGMA, SIGMA))
        val oneSigma = referenceBlock(1, null)
        val moved = (0 until 6 * 64).maxOf { abs(oneSigma.d[it] - perToken.d[it]) } / perToken.d.maxOf { abs(it) }
        assertTrue(moved > 20 * bound, "one σ for all moves the first frame's tokens by $moved")
    }

    @Test
    fun `an AV block with a timestep per video token on the CPU`() = tokenTimestepBlockTest(cpu, CPU)

    @Test
    fun `an AV block with a timestep per video token on Vulkan`() = tokenTimestepBlockTest(weights.vulkan(), VULKAN)

    /**
     * The whole DiT through [Ltx2Dit.build]: 2 latent frames of 2 × 2 cells, 6 audio steps, 16 context tokens; with
     * [frameSigmas] a σ per latent frame ([Ltx2Dit.VIDEO_SIGMA]), which the output layer reads too.
     */
    private fun ditTest(device: Device, bound: Double, seed: Long, attention: Attention = NaiveAttention, frameSigmas: FloatArray? = null) {
        val rnd = Random(seed)
        val (frames, height, width, length, tokens) = listOf(2, 2, 2, 6, 16)
        val video = Nd.random(rnd, 1.0, width, height, frames, 128)
        val audio = Nd.random(rnd, 1.0, 16, length, 8)
        val context = Nd.random(rnd, 1.0, 96, tokens)
        val ropes = Ltx2Dit.ropeTables(d, frames, height, width, length, FPS)
        val inputs = mapOf(Ltx2Dit.VIDEO to video, Ltx2Dit.AUDIO to audio, Ltx2Dit.CONTEXT to context, Ltx2Dit.SIGMA to Nd.of(floatArrayOf(SIGMA), 1)) +
            ropes.mapValues { (_, v) -> Nd.of(v, v.size) } + (frameSigmas?.let { mapOf(Ltx2Dit.VIDEO_SIGMA to Nd.of(it, it.size)) } ?: emptyMap())
        val w = weights.on(device)
        val actual = weights.run(device, inputs, attention = attention) { g ->
            Ltx2Dit.build(g, w, frames.toLong(), height.toLong(), width.toLong(), length.toLong(), tokens.toLong(), tokenTimesteps = frameSigmas != null)
        }
        // the video velocity [W, H, F, 128], then the audio's [16, L, 8]
        val videoValues = frames * height * width * 128
        assertEquals(videoValues + length * 8 * 16, actual.size)
        val t = tables(frames, height, width, length)
        val expected = Ltx2DitReference64.dit(weights.reference, video, audio, SIGMA.toDouble(), context, t, d, frameSigmas?.let { tokenSigmas(it, frames * height * width) })
        assertClose(actual, expected, bound, "LTX-2 DiT, 2 blocks (${device.name()}, ${attention.javaClass.simpleName})")
        val videoPart = Nd(intArrayOf(videoValues.toInt()), expected.d.copyOf(videoValues.toInt()))
        assertClose(actual.copyOf(videoValues.toInt()), videoPart, bound, "LTX-2 DiT, video velocity alone (${device.name()})")
    }

    @Test
    fun `the whole DiT on the CPU`() = ditTest(cpu, CPU, 3)

    @Test
    fun `the whole DiT on Vulkan`() = ditTest(weights.vulkan(), VULKAN, 4)

    @Test
    fun `the whole DiT with flash attention on the CPU`() = ditTest(cpu, FLASH, 3, FlashAttention(cpu))

    @Test
    fun `the whole DiT with a timestep per video token on the CPU`() = ditTest(cpu, CPU, 3, frameSigmas = floatArrayOf(0f, SIGMA))

    /** The scheduler refuses a graph that reads a block twice, out of order, or two blocks in one node. */
    @Test
    fun `the graph reads every block once, in streaming order`() {
        val three = d.copy(blocks = 3)
        val tiny = TinyLtx2Dit(three)
        Ltx2DitReference64.weights(5, tiny).use { rw ->
            val w = rw.on()
            val blocks = Ltx2DitBlocks.of(tiny.tensors.map { ParamSpec(it.name, GgmlType.F32, it.torchShape.reversed()) }).blocks
            assertEquals(3, blocks.size)
            rw.ggml.newContext(16384, 16384).use { ctx ->
                fun input(vararg ne: Long) = ctx.newTensor(GgmlType.F32, *ne).asInput()
                val out = Ltx2DitGraph(Nn(ctx), three).forward(w, input(2, 2, 2, 128), input(16, 5, 8), input(1), input(96, 7),
                    Ltx2DitGraph.Rope(input(8, 4, 8, 2), input(4, 4, 5, 2), input(4, 4, 8, 2))).asOutput()
                val graph = ctx.graph(16384, out)
                BlockSchedule.of(rw.ggml, graph, blocks.map { b -> b.specs.map { w.get(it.name) } }).use { schedule ->
                    assertEquals((0 until 3).toList(), schedule.slices.map { it.block })
                    assertTrue(schedule.slices.sumOf { it.nodes } == graph.nodeCount())
                }
            }
        }
    }

    @Test
    fun `blocks in numeric order, prefixed or not, the embedders and output layers core`() {
        val names = listOf("transformer_blocks.10.attn1.to_q.weight", "patchify_proj.weight", "transformer_blocks.2.scale_shift_table",
            "av_ca_a2v_gate_adaln_single.linear.weight", "transformer_blocks.2.audio_ff.net.2.bias", "audio_proj_out.bias",
            "model.diffusion_model.transformer_blocks.0.video_to_audio_attn.to_k.weight", "scale_shift_table")
        val s = Ltx2DitBlocks.of(names.map { ParamSpec(it, GgmlType.F32, listOf(4L)) })
        assertEquals(listOf("transformer_blocks.0", "transformer_blocks.2", "transformer_blocks.10"), s.blocks.map { it.name })
        assertEquals(listOf("transformer_blocks.2.scale_shift_table", "transformer_blocks.2.audio_ff.net.2.bias"), s.blocks[1].specs.map { it.name })
        assertEquals(setOf("patchify_proj.weight", "av_ca_a2v_gate_adaln_single.linear.weight", "audio_proj_out.bias", "scale_shift_table"),
            s.core.map { it.name }.toSet())
    }

    @Test
    fun `the tiny checkpoint becomes the diffusion model under bare names`(@TempDir dir: Path) {
        val tiny = TinyLtx2Dit()
        val model = ModelAssembly.assemble(ModelOpener.open(listOf(tiny.write(dir.resolve(TinyLtx2Dit.FILE))), null))
        val dit = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        assertEquals(tiny.tensors.map { it.name }.toSet(), dit.tensors.keys)
    }

    /** sd.cpp's force_f32 layers and the modulation tables load as f32 from an f16 file, and when q8_0 is asked for. */
    @Test
    fun `embedders, AdaLN linears, projections and tables stay f32`(@TempDir dir: Path) {
        val tiny = TinyLtx2Dit()
        val dit = ModelAssembly.assemble(ModelOpener.open(listOf(tiny.write(dir.resolve(TinyLtx2Dit.FILE))), null))
            .components.getValue(ComponentKind.DIFFUSION_MODEL)
        val f32 = listOf("patchify_proj.weight", "audio_proj_out.weight", "adaln_single.linear.weight", "av_ca_v2a_gate_adaln_single.emb.timestep_embedder.linear_1.weight",
            "transformer_blocks.1.scale_shift_table", "transformer_blocks.0.audio_prompt_scale_shift_table", "scale_shift_table")
        val matrices = listOf("transformer_blocks.0.attn1.to_q.weight", "transformer_blocks.1.audio_ff.net.2.weight", "transformer_blocks.0.video_to_audio_attn.to_k.weight")
        assertEquals(f32.toSet() + matrices, (f32 + matrices).filter { it in dit.tensors }.toSet(), "the names exist")
        val support = DeviceTypeSupport.of(weights.ggml, cpu)
        for ((requested, matrixType) in listOf(null to GgmlType.F16, DType.Q8_0 to GgmlType.Q8_0)) {
            val types = ParamSpecs.of(dit, support, requested = requested).specs.associate { it.name to it.type }
            for (name in f32) assertEquals(GgmlType.F32, types[name], "$name with ${requested ?: "no requested type"}")
            for (name in matrices) assertEquals(matrixType, types[name], "$name with ${requested ?: "no requested type"}")
        }
    }

    private companion object {
        const val CPU = 2e-3
        const val VULKAN = 3e-3
        const val FLASH = 2e-3
        const val SIGMA = 0.7f
        const val FPS = 24f
    }
}
