package dev.sdj.core.family.sd

import dev.sdj.core.family.sd.SameComponents.bytes
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.AfterAll
import java.nio.file.Files
import java.nio.file.Path

/** A checkpoint, its GGUF conversion, a diffusers folder and split files are one model to the engine. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LayoutsResolveAlikeTest {
    private val dir: Path = Files.createTempDirectory("sdj-test")

    private val tiny = TinySdModel()
    private lateinit var single: AssembledModel

    private fun open(vararg paths: Path) = ModelAssembly.assemble(ModelOpener.open(paths.toList()))

    @AfterAll
    fun deleteFiles() {
        dir.toFile().deleteRecursively()
    }

    @BeforeAll
    fun writeCheckpoint() {
        single = open(tiny.writeSingleFile(dir.resolve("tiny-sd1.safetensors")))
    }

    private fun assertSameModel(other: AssembledModel, layout: String) = SameComponents.assertSame(single, other, ModelFamily.SD1, layout)

    @Test
    fun `the single checkpoint is SD1 with its three components under canonical names`() {
        assertEquals(ModelFamily.SD1, single.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER, ComponentKind.VAE), single.components.keys)
        for ((kind, entries) in tiny.components) {
            assertEquals(entries.map { it.ldm }.toSet(), single.components.getValue(kind).tensors.keys)
        }
        assertTrue(single.ignoredTensors.isEmpty(), "ignored: ${single.ignoredTensors.take(3)}")
    }

    @Test
    fun `the GGUF conversion resolves to the same components`() {
        assertSameModel(open(tiny.writeSingleFile(dir.resolve("tiny-sd1.gguf"))), "gguf")
    }

    @Test
    fun `a diffusers folder resolves to the same components`() {
        assertSameModel(open(tiny.writeDiffusersFolder(dir.resolve("diffusers"))), "diffusers")
    }

    @Test
    fun `separate component files resolve to the same components`() {
        assertSameModel(open(*tiny.writeSplitFiles(dir.resolve("split")).toTypedArray()), "split files")
    }

    @Test
    fun `SD2's linear transformer projections are told apart from SD1's convolutions`() {
        val arch = TinySdModel.SD1_TINY.copy(unet = TinySdModel.SD1_TINY.unet.copy(linearProjection = true))
        val sd2 = open(TinySdModel(arch).writeDiffusersFolder(dir.resolve("sd2-diffusers")))
        assertEquals(ModelFamily.SD2, sd2.family)
    }

    @Test
    fun `an SD2 checkpoint's fused OpenCLIP projections resolve to the diffusers folder's separate ones`() {
        val arch = TinySdModel.SD1_TINY.copy(unet = TinySdModel.SD1_TINY.unet.copy(linearProjection = true))
        val sd2 = TinySdModel(arch)
        val single = open(sd2.writeSingleFile(dir.resolve("sd2.safetensors")))
        val folder = open(sd2.writeDiffusersFolder(dir.resolve("sd2-folder")))
        assertEquals(ModelFamily.SD2, single.family)
        for ((kind, component) in folder.components) {
            val theirs = single.components.getValue(kind)
            assertEquals(component.tensors.keys, theirs.tensors.keys, kind.label)
            for ((name, ref) in component.tensors) {
                assertEquals(ref.shape, theirs.tensors.getValue(name).shape, name)
                assertEquals(bytes(ref), bytes(theirs.tensors.getValue(name)), name)
            }
        }
    }

    @Test
    fun `mixed storage types survive every layout`() {
        val mixed = TinySdModel(typeOf = { kind, name ->
            when {
                kind == ComponentKind.VAE -> DType.BF16
                name.endsWith("attn1.to_q.weight") -> DType.F8_E4M3
                name.endsWith("attn1.to_k.weight") -> DType.F8_E5M2
                kind == ComponentKind.TEXT_ENCODER -> DType.F32
                else -> DType.F16
            }
        })
        val a = open(mixed.writeSingleFile(dir.resolve("mixed.safetensors")))
        val b = open(mixed.writeDiffusersFolder(dir.resolve("mixed-diffusers")))
        for ((kind, component) in a.components) {
            for ((name, ref) in component.tensors) {
                assertEquals(ref.type, b.components.getValue(kind).tensors.getValue(name).type, name)
            }
        }
        assertEquals(DType.BF16, a.components.getValue(ComponentKind.VAE).tensors.values.first().type)
    }
}
