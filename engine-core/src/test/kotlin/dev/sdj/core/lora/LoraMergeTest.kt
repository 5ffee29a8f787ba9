package dev.sdj.core.lora

import dev.sdj.api.InvalidRequestException
import dev.sdj.api.Lora
import dev.sdj.api.ModelFileException
import dev.sdj.core.family.sd.SdLoraTargets
import dev.sdj.core.family.sd.SdTensorLayout
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs
import kotlin.random.Random

/** LoRA files in each common naming, read, mapped onto an SD model's weights and merged, against a float64 reference. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoraMergeTest {
    private val dir: Path = Files.createTempDirectory("sdj-lora-merge")
    private val tiny = TinySdModel()
    private val single: Path = tiny.writeSingleFile(dir.resolve("tiny.safetensors"))
    private val loras = TinyLoras(tiny.arch)

    private fun targets(vararg paths: Path) = SdLoraTargets(ModelAssembly.assemble(ModelOpener.open(paths.toList())))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    @ParameterizedTest
    @EnumSource(TinyLoras.Format::class)
    fun `each layer maps to its weight and adds multiplier times alpha over rank times up·down`(format: TinyLoras.Format) {
        val file = dir.resolve("$format.safetensors")
        val written = loras.write(file, format)
        val read = LoraFile.read(file)
        assertEquals(written.map { it.key }.toSet(), read.layers.map { it.key }.toSet(), "every up/down pair is a layer")
        assertTrue(read.unused.isEmpty(), "alphas belong to their layers: ${read.unused}")
        val targets = targets(single)
        val byKey = read.layers.associateBy { it.key }
        val multiplier = 0.7f
        val random = Random(3)
        for (w in written) {
            assertEquals(listOf(w.target), targets.targets(w.key), w.key)
            val layer = byKey.getValue(w.key)
            val up = loras.stored(w.up, format)
            val down = loras.stored(w.down, format)
            val rows = up.size / w.rank
            val cols = down.size / w.rank
            val weights = FloatArray(rows * cols) { random.nextFloat() - 0.5f }
            val scale = (w.alpha?.toDouble() ?: w.rank.toDouble()) / w.rank * multiplier
            val expected = DoubleArray(weights.size) { i ->
                var product = 0.0
                for (k in 0 until w.rank) product += up[i / cols * w.rank + k].toDouble() * down[k * cols + i % cols]
                weights[i] + scale * product
            }
            LoraMerge.add(weights, layer, layer.factor(multiplier))
            for (i in weights.indices) {
                if (abs(weights[i] - expected[i]) > 1e-6 * (1 + abs(expected[i]))) fail<Unit>("${w.key}[$i]: ${weights[i]} vs ${expected[i]}")
            }
        }
    }

    @Test
    fun `a GGUF LoRA reads as its safetensors twin`() {
        loras.write(dir.resolve("twin.safetensors"), TinyLoras.Format.KOHYA_LDM)
        loras.write(dir.resolve("twin.gguf"), TinyLoras.Format.KOHYA_LDM)
        val safetensors = LoraFile.read(dir.resolve("twin.safetensors")).layers.associateBy { it.key }
        val gguf = LoraFile.read(dir.resolve("twin.gguf")).layers
        assertEquals(safetensors.keys, gguf.map { it.key }.toSet())
        for (layer in gguf) {
            val twin = safetensors.getValue(layer.key)
            assertEquals(twin.alpha, layer.alpha)
            assertEquals(listOf(twin.up.rows, twin.up.cols, twin.down.rows, twin.down.cols), listOf(layer.up.rows, layer.up.cols, layer.down.rows, layer.down.cols))
            assertTrue(twin.up.values.contentEquals(layer.up.values) && twin.down.values.contentEquals(layer.down.values), layer.key)
        }
    }

    @Test
    fun `a model opened from a diffusers folder takes the same keys for the same weights`() {
        val written = loras.write(dir.resolve("peft.safetensors"), TinyLoras.Format.PEFT)
        val kohya = loras.write(dir.resolve("kohya.safetensors"), TinyLoras.Format.KOHYA_LDM)
        val folder = targets(tiny.writeDiffusersFolder(dir.resolve("diffusers")))
        for (w in written + kohya) assertEquals(listOf(w.target), folder.targets(w.key), w.key)
    }

    @Test
    fun `SDXL LoRAs name the UNet by its LDM names and the two text encoders lora_te1 and lora_te2`() {
        val targets = targets(TinySdModel(TinySdModel.SDXL_TINY).writeSingleFile(dir.resolve("sdxl.safetensors")))
        val layout = SdTensorLayout(TinySdModel.SDXL_TINY)
        val toK = layout.unet().first { it.ldm.endsWith("attn2.to_k.weight") }.ldm
        assertEquals(listOf(LoraTarget(ComponentKind.DIFFUSION_MODEL, toK)), targets.targets("lora_unet_" + toK.removeSuffix(".weight").replace('.', '_')))
        val q = "text_model.encoder.layers.0.self_attn.q_proj"
        assertEquals(listOf(LoraTarget(ComponentKind.TEXT_ENCODER, "$q.weight")), targets.targets("lora_te1_" + q.replace('.', '_')))
        assertEquals(listOf(LoraTarget(ComponentKind.TEXT_ENCODER_2, "$q.weight")), targets.targets("lora_te2_" + q.replace('.', '_')))
        assertEquals(listOf(LoraTarget(ComponentKind.TEXT_ENCODER_2, "$q.weight")), targets.targets("text_encoder_2.$q"))
        // lcm-lora-xl names the first upsampler by the slot it has in models without attention there.
        val upsampler = layout.unet().first { it.ldm.startsWith("output_blocks.") && it.ldm.endsWith(".2.conv.weight") }.ldm
        val alias = "lora_unet_" + upsampler.removeSuffix(".2.conv.weight").replace('.', '_') + "_1_conv"
        assertEquals(listOf(LoraTarget(ComponentKind.DIFFUSION_MODEL, upsampler)), targets.targets(alias))
    }

    private fun resolver() = Loras(targets(single), "SD 1.x") { t ->
        tiny.components.getValue(t.component).firstOrNull { it.ldm == t.tensor }?.torchShape?.fold(1L) { a, b -> a * b }
    }

    @Test
    fun `patches group the layers by component and name the LoRAs and multipliers they came from`() {
        val file = dir.resolve("kohya-patch.safetensors")
        val written = loras.write(file, TinyLoras.Format.KOHYA_DIFFUSERS)
        val patches = resolver().apply(listOf(Lora(file, 0.5))).patches
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER), patches.keys)
        for (kind in patches.keys) {
            assertEquals(written.filter { it.target.component == kind }.map { it.target.tensor }.toSet(), patches.getValue(kind).names)
        }
        val other = resolver().apply(listOf(Lora(file, 0.25))).patches
        assertTrue(patches.getValue(ComponentKind.TEXT_ENCODER).key != other.getValue(ComponentKind.TEXT_ENCODER).key, "the multiplier is part of the key")
    }

    @Test
    fun `a missing file, a file that is no LoRA and a LoRA for other weights are refused by name`() {
        val missing = assertThrows(ModelFileException::class.java) { resolver().apply(listOf(Lora(dir.resolve("absent.safetensors"), 1.0))).patches }
        assertTrue(missing.message!!.contains("absent.safetensors"), missing.message)
        val notLora = assertThrows(ModelFileException::class.java) { resolver().apply(listOf(Lora(single, 1.0))).patches }
        assertTrue(notLora.message!!.contains("is not a LoRA"), notLora.message)
        val foreign = dir.resolve("foreign.safetensors")
        val zeros = TensorData.of(ByteBuffer.allocate(4 * 8 * 4))
        SafetensorsWriter().addTensor("lora_unet_single_blocks_0_linear1.lora_down.weight", DType.F32, listOf(8, 4), zeros)
            .addTensor("lora_unet_single_blocks_0_linear1.lora_up.weight", DType.F32, listOf(4, 8), zeros).write(foreign)
        val mismatch = assertThrows(InvalidRequestException::class.java) { resolver().apply(listOf(Lora(foreign, 1.0))).patches }
        assertTrue(mismatch.message!!.contains("adapts no weight") && mismatch.message!!.contains("single_blocks"), mismatch.message)
    }

    @Test
    fun `prompt tags name LoRAs in the folder and leave the prompt without them`() {
        val file = dir.resolve("style.safetensors")
        loras.write(file, TinyLoras.Format.KOHYA_DIFFUSERS)
        val extracted = PromptLoras.extract("a cat <lora:style:0.8>, sitting<lora:style>", dir)
        assertEquals("a cat , sitting", extracted.prompt)
        assertEquals(listOf(Lora(file, 0.8), Lora(file, 1.0)), extracted.loras)
        assertThrows(InvalidRequestException::class.java) { PromptLoras.extract("<lora:style:0.8>", null) }
        assertThrows(InvalidRequestException::class.java) { PromptLoras.extract("<lora:absent:0.8>", dir) }
        assertThrows(InvalidRequestException::class.java) { PromptLoras.extract("<lora:style:heavy>", dir) }
    }
}
