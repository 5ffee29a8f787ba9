package dev.sdj.core.family.sd

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.util.Random
import kotlin.math.abs

/**
 * Guidance batched on the tiny SDXL inpainting UNet, the SD family's widest input (the latent with the mask and the
 * masked image's latent, a context and SDXL's vector y, all per prompt), on the CPU at 64×64: each half of a batch of
 * two reads only its own prompt's inputs, byte for byte, and is what the UNet gives that prompt alone within
 * [UNET_BOUND]: ggml's kernels for a batch of two add up in another order, and with f16 weights the activations are
 * rounded to f16 before each product, so an f32 difference of an ulp can round one step of f16 apart and grow through
 * the layers (measured 1.9e-3). Sampling with it reads each prompt's own inputs and ends within [SAMPLE_BOUND] of
 * sampling with two evaluations (measured 1.5e-3).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuidanceBatchDenoiseTest {
    private val ggml = Ggml.get()
    private val cpu = ggml.cpu()
    private val ledger = MemoryLedger()
    private lateinit var buffer: ParamBuffer
    private lateinit var unet: Weights

    private val random = Random(5)
    private val contextWidth = TinySdModel.SDXL_TINY.unet.contextDim
    private val yWidth = TinySdModel.SDXL_TINY.unet.admInChannels!!
    private val contexts = List(2) { FloatArray(contextWidth * 77) { random.nextGaussian().toFloat() } }
    private val ys = List(2) { FloatArray(yWidth) { random.nextGaussian().toFloat() } }
    private val mask = FloatArray(8 * 8) { if (it % 8 < 4) 1f else 0f }
    private val latent = FloatArray(8 * 8 * 4) { random.nextGaussian().toFloat() }
    private val input = InpaintingInput.of(mask, FloatArray(latent.size) { latent[it] * (1f - mask[it % 64]) })

    @BeforeAll
    fun load() {
        val dir = Files.createTempDirectory("sdj-cfg-batch-denoise")
        val model = ModelAssembly.assemble(ModelOpener.open(listOf(TinySdModel(TinySdModel.SDXL_TINY_INPAINT).writeSingleFile(dir.resolve("xl.safetensors")))))
        val component = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        buffer = ParamBuffer.allocate(ggml, ledger, cpu.bufferType(), ParamSpecs.of(component, DeviceTypeSupport.of(ggml, cpu)).specs, "unet")
            .also { b -> ParamLoader().use { it.load(b, component.tensors) } }
        unet = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
        dir.toFile().deleteRecursively()
    }

    @AfterAll
    fun close() = buffer.close()

    private fun denoise(batch: String, contexts: List<FloatArray> = this.contexts, ys: List<FloatArray> = this.ys,
                        input: InpaintingInput = this.input): FloatArray {
        val request = GenerationRequest.builder("x").size(64, 64).steps(2).seed(3).sampler("euler").cfgScale(7.0).cfgBatch(batch).build()
        val diffusion = SdDiffusion(SdUnet.SD2, 0.13025f, false, inpainting = true)
        return GraphSession(ggml, cpu.bufferType(), ComputeBackends.open(cpu, 2)).use { session ->
            diffusion.denoise(request, unet, SdDiffusion.Conditioning(contexts, contextWidth.toLong(), ys), session, ProgressListener.NONE,
                CancellationToken(), InitLatent(latent, Inpainting.dilated(mask, 8, 8), input))
        }
    }

    @Test
    fun `each half of a batch of two reads only its own prompt and is what the UNet gives that prompt alone`() {
        val diffusion = SdDiffusion(SdUnet.SD2, 0.13025f, false, inpainting = true)
        val x = List(2) { p -> Inpainting.concat(latent, if (p == 0) input.conditional else input.unconditional) }
        val otherX = listOf(x[0], FloatArray(x[1].size) { -x[1][it] })
        fun run(batch: Int, prompts: IntRange, x: List<FloatArray>): FloatArray =
            GraphSession(ggml, cpu.bufferType(), ComputeBackends.open(cpu, 2)).use { s ->
                val graph = s.compile(SdDiffusion.UNET, build = diffusion.unetGraph(unet, 8, 8, contextWidth.toLong(), 77, yWidth.toLong(), batch.toLong()))
                graph.input("x").setFloats(prompts.flatMap { x[it].asIterable() }.toFloatArray())
                graph.input("t").setFloats(FloatArray(batch) { 981f })
                graph.input("context").setFloats(prompts.flatMap { contexts[it].asIterable() }.toFloatArray())
                graph.input("y").setFloats(prompts.flatMap { ys[it].asIterable() }.toFloatArray())
                graph.run(s.backend)
            }
        val batched = run(2, 0..1, x)
        val half = batched.size / 2
        val other = run(2, 0..1, otherX)
        assertArrayEquals(batched.copyOfRange(0, half), other.copyOfRange(0, half), "the first half does not read the second's input")
        assertFalse(batched.copyOfRange(half, 2 * half).contentEquals(other.copyOfRange(half, 2 * half)), "the second half reads its own")
        val alone = run(1, 0..0, x) + run(1, 1..1, x)
        val scale = alone.maxOf { abs(it) }
        val err = alone.indices.maxOf { abs(alone[it] - batched[it]) } / scale
        println("SDXL inpainting UNet, batch of two vs each prompt alone: largest difference %.2e of the output's largest value".format(err))
        assertTrue(err <= UNET_BOUND, "batched differs by $err")
    }

    @Test
    fun `one batch of two samples what two evaluations sample, each half reading its own prompt's inputs`() {
        val two = denoise("off")
        val batched = denoise("on")
        val scale = two.maxOf { abs(it) }
        val err = two.indices.maxOf { abs(two[it] - batched[it]) } / scale
        println("SDXL inpainting UNet, guidance batched vs two evaluations: largest difference %.2e of the latent's largest value".format(err))
        assertTrue(err <= SAMPLE_BOUND, "batched differs by $err")

        fun second(list: List<FloatArray>) = listOf(list[0], FloatArray(list[1].size) { -list[1][it] })
        val others = mapOf(
            "context" to denoise("on", contexts = second(contexts)),
            "y" to denoise("on", ys = second(ys)),
            "masked latent" to denoise("on", input = InpaintingInput(input.conditional, FloatArray(input.unconditional.size) { 1f })),
        )
        for ((name, other) in others) assertFalse(other.contentEquals(batched), "the negative prompt's $name reaches its half of the batch")
    }

    private companion object {
        /** Relative to the output's largest value. */
        const val UNET_BOUND = 1e-2

        /** Relative to the latent's largest value: rounding, not a different sample. */
        const val SAMPLE_BOUND = 1e-2
    }
}
