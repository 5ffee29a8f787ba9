package dev.sdj.core.family.flux

import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Path

/** The schedule's shift follows the model as in sd.cpp: a guidance embedding (dev) gives 1.15, none (schnell) 1.0. */
class FluxFlowTest {
    @TempDir
    lateinit var dir: Path

    private fun diffusionModel(vararg names: String) = SafetensorsWriter().let { w ->
        names.forEach { w.addTensor(it, DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8))) }
        val file = dir.resolve("model-${names.size}.safetensors").also { w.write(it) }
        ModelAssembly.assemble(ModelOpener.open(listOf(file))).components.getValue(ComponentKind.DIFFUSION_MODEL)
    }

    @Test
    fun `dev in black forest labs names gets 1_15`() {
        val dev = diffusionModel("model.diffusion_model.double_blocks.0.img_attn.qkv.weight", "model.diffusion_model.guidance_in.in_layer.weight")
        assertEquals(1.15f, FluxFlow.schedule(dev).shift)
    }

    @Test
    fun `dev in diffusers names gets 1_15`() {
        val dev = diffusionModel("single_transformer_blocks.0.attn.to_q.weight", "time_text_embed.guidance_embedder.linear_1.weight",
            "time_text_embed.timestep_embedder.linear_1.weight")
        assertEquals(1.15f, FluxFlow.schedule(dev).shift)
    }

    @Test
    fun `schnell gets 1`() {
        val schnell = diffusionModel("double_blocks.0.img_attn.qkv.weight", "time_in.in_layer.weight", "img_in.weight")
        assertEquals(1.0f, FluxFlow.schedule(schnell).shift)
    }
}
