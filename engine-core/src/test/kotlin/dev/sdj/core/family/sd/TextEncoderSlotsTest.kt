package dev.sdj.core.family.sd

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

/** Separate text-encoder files take their slot from what they hold, not from the order they are given in. */
class TextEncoderSlotsTest {
    @TempDir
    lateinit var dir: Path

    /** A file of [names], each a [width]-element vector, so the token embedding is [width] wide. */
    private fun file(name: String, width: Long, vararg names: String): Path {
        val w = SafetensorsWriter()
        names.forEach { w.addTensor(it, DType.F16, listOf(width), TensorData.of(ByteBuffer.allocate(2 * width.toInt()))) }
        return dir.resolve(name).also { w.write(it) }
    }

    private val unet = { file("unet.safetensors", 4, "label_emb.0.0.weight", "input_blocks.0.0.weight") }

    private fun encoder(name: String, width: Long, projection: Boolean) = file(name, width,
        *listOfNotNull(SdModelCheck.TOKEN_EMBEDDING, "text_model.final_layer_norm.weight", SdTensorLayout.TEXT_PROJECTION.takeIf { projection }).toTypedArray())

    private fun slotOf(file: Path, vararg inputs: Path): ComponentKind {
        val model = ModelAssembly.assemble(ModelOpener.open(inputs.toList()))
        return model.components.values.single { c -> c.tensors.values.any { it.file.path == file } && c.kind != ComponentKind.DIFFUSION_MODEL }.kind
    }

    @Test
    fun `the wider encoder is the second whichever comes first`() {
        val clipL = encoder("clip_l.safetensors", 8, projection = true)
        val clipG = encoder("clip_g.safetensors", 12, projection = true)
        assertEquals(ComponentKind.TEXT_ENCODER_2, slotOf(clipG, clipG, clipL, unet()))
        assertEquals(ComponentKind.TEXT_ENCODER, slotOf(clipL, clipG, clipL, unet()))
    }

    @Test
    fun `between encoders of one width the one with a text projection is the second`() {
        val plain = encoder("plain.safetensors", 8, projection = false)
        val projected = encoder("projected.safetensors", 8, projection = true)
        assertEquals(ComponentKind.TEXT_ENCODER_2, slotOf(projected, projected, plain, unet()))
    }

    @Test
    fun `a lone encoder is the first`() {
        val clipG = encoder("clip_g.safetensors", 12, projection = true)
        assertEquals(ComponentKind.TEXT_ENCODER, slotOf(clipG, clipG, unet()))
    }
}
