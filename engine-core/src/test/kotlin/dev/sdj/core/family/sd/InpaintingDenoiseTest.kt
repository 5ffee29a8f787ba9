package dev.sdj.core.family.sd

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.graph.CompiledGraph
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
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.util.Random
import kotlin.math.abs

/**
 * Inpainting's denoising on the tiny random SD 1.x UNets (regular, and an inpainting checkpoint's with 9 input
 * channels), CPU, 64×64 (an 8×8 latent), the left half masked, one step from the largest sigma (one step of one: the
 * whole schedule). The witness is the latent, not pixels: with random weights the VAE round trip is no identity, while
 * stable-diffusion.cpp's blend makes every step's denoised latent the init latent outside the mask, so the sampled
 * latent ends there up to the last step's f32 rounding: x + (x − d)/σ·(0 − σ) rather than d itself, with x ≈ 15× the
 * latent at σ ≈ 14.6. Bound [KEPT] relative to the latent's largest value, a few ulps of 15× it (measured: 0 for DPM++
 * 2M, whose last step is d; 4.1e-7 Euler and Euler a; 6.5e-10 to 1.9e-9 over 4 steps from strength 0.75). A wrong
 * mask position or channel moves kept values by order 1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InpaintingDenoiseTest {
    private val ggml = Ggml.get()
    private val cpu = ggml.cpu()
    private val ledger = MemoryLedger()
    private val buffers = ArrayList<ParamBuffer>()
    private lateinit var regular: Weights
    private lateinit var inpainting: Weights

    private val random = Random(11)
    private val latent = FloatArray(8 * 8 * 4) { random.nextGaussian().toFloat() }
    /** Left half of the 8×8 latent repainted. */
    private val mask = FloatArray(8 * 8) { if (it % 8 < 4) 1f else 0f }
    private val contexts = List(2) { FloatArray(32 * 77) { random.nextGaussian().toFloat() } }

    @BeforeAll
    fun load() {
        val dir = Files.createTempDirectory("sdj-inpaint-denoise")
        fun unet(arch: SdArchitecture, name: String): Weights {
            val model = ModelAssembly.assemble(ModelOpener.open(listOf(TinySdModel(arch).writeSingleFile(dir.resolve(name)))))
            val component = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
            val buffer = ParamBuffer.allocate(ggml, ledger, cpu.bufferType(), ParamSpecs.of(component, DeviceTypeSupport.of(ggml, cpu)).specs, name)
                .also { b -> ParamLoader().use { it.load(b, component.tensors) } }
            buffers.add(buffer)
            return MapWeights(buffer.names.associateWith { buffer.tensor(it) })
        }
        regular = unet(TinySdModel.SD1_TINY, "regular.safetensors")
        inpainting = unet(TinySdModel.SD1_TINY_INPAINT, "inpainting.safetensors")
        dir.toFile().deleteRecursively()
    }

    @AfterAll
    fun close() = buffers.forEach { it.close() }

    private fun request(sampler: String = "euler", cfg: Double = 1.0) =
        GenerationRequest.builder("x").size(64, 64).steps(1).seed(3).sampler(sampler).cfgScale(cfg).build()

    private fun denoise(inpaintingUnet: Boolean, request: GenerationRequest, start: InitLatent?): FloatArray {
        val diffusion = SdDiffusion(SdUnet.SD1, 0.18215f, false, inpainting = inpaintingUnet)
        val conditioning = SdDiffusion.Conditioning(if (request.cfgScale() == 1.0) contexts.take(1) else contexts, 32)
        return GraphSession(ggml, cpu.bufferType(), ComputeBackends.open(cpu, 2)).use { session ->
            diffusion.denoise(request, if (inpaintingUnet) inpainting else regular, conditioning, session, ProgressListener.NONE,
                CancellationToken(), start)
        }
    }

    /** The largest |out − latent| over the positions [kept] marks, relative to the latent's largest value. */
    private fun keptError(out: FloatArray, kept: FloatArray): Double {
        val scale = latent.maxOf { abs(it) }
        return out.indices.filter { kept[it % 64] == 0f }.maxOf { abs(out[it] - latent[it]).toDouble() } / scale
    }

    private fun changed(out: FloatArray, where: FloatArray) = out.indices.filter { where[it % 64] == 1f }.count { abs(out[it] - latent[it]) > 1e-3 }

    @Test
    fun `a regular UNet's sampled latent keeps the init latent outside the mask under every sampler and repaints inside`() {
        for (sampler in listOf("euler", "euler_a", "dpm++2m")) {
            val out = denoise(false, request(sampler), InitLatent(latent, mask))
            val err = keptError(out, mask)
            println("inpainting, regular UNet, $sampler: kept latent error %.2e (bound %.0e)".format(err, KEPT))
            assertTrue(err <= KEPT, "$sampler: kept values moved by $err")
            assertTrue(changed(out, mask) > 100, "$sampler: the masked half was repainted")
        }
    }

    @Test
    fun `an inpainting UNet reads 9 channels, the prompt's pass the masked latent and the negative pass zeros`() {
        val diffusion = SdDiffusion(SdUnet.SD1, 0.18215f, false, inpainting = true)
        CompiledGraph(ggml, cpu.bufferType(), build = diffusion.unetGraph(inpainting, 8, 8, 32, 77)).use { graph ->
            assertArrayEquals(longArrayOf(8, 8, 9, 1), graph.input("x").shape())
        }
        val dilated = Inpainting.dilated(mask, 8, 8)
        val masked = FloatArray(latent.size) { latent[it] * (1f - mask[it % 64]) }
        val start = InitLatent(latent, dilated, InpaintingInput.of(mask, masked))
        val out = denoise(true, request(), start)
        val err = keptError(out, dilated)
        println("inpainting, inpainting UNet: kept latent error %.2e (bound %.0e)".format(err, KEPT))
        assertTrue(err <= KEPT, "kept values moved by $err")
        assertTrue(changed(out, mask) > 100, "the masked half was repainted")

        // cfg 1 runs the prompt's pass only: another masked latent changes the result, another negative input cannot
        val otherMasked = InitLatent(latent, dilated, InpaintingInput.of(mask, FloatArray(masked.size) { -masked[it] }))
        assertFalse(out.contentEquals(denoise(true, request(), otherMasked)), "the masked latent reaches the prompt's pass")
        val otherNegative = InitLatent(latent, dilated, InpaintingInput(start.unetInput!!.conditional, FloatArray(5 * 64) { 1f }))
        assertArrayEquals(out, denoise(true, request(), otherNegative), "cfg 1 runs no negative pass")
        val guided = denoise(true, request(cfg = 7.0), start)
        assertFalse(guided.contentEquals(denoise(true, request(cfg = 7.0), otherNegative)), "the negative pass reads its own input")
    }

    companion object {
        const val KEPT = 4e-6
    }
}
