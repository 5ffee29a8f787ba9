package dev.sdj.core.family.sd

import dev.sdj.core.family.sd.SameComponents.bytes
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TokenizerSource
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * An SDXL checkpoint, its GGUF conversion, a diffusers folder and split files are one model to the engine: the same
 * canonical tensors with the same bytes, except the bigG text projection, which original checkpoints store transposed
 * under its OpenCLIP name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlLayoutsResolveAlikeTest {
    private lateinit var dir: Path

    private val tiny = TinySdModel(TinySdModel.SDXL_TINY)
    private val vocabulary = ClipVocabulary.tinyGenerated(400)
    private val tokenizer = vocabulary.tokens to vocabulary.merges
    private lateinit var single: AssembledModel
    private lateinit var folder: AssembledModel

    private fun open(vararg paths: Path) = ModelAssembly.assemble(ModelOpener.open(paths.toList()))

    @BeforeAll
    fun writeCheckpointAndFolder(@TempDir dir: Path) {
        this.dir = dir
        single = open(tiny.writeSingleFile(dir.resolve("tiny-sdxl.safetensors")))
        folder = open(tiny.writeDiffusersFolder(dir.resolve("diffusers"), tokenizer))
    }

    private fun assertSameModel(expected: AssembledModel, other: AssembledModel, layout: String) =
        SameComponents.assertSame(expected, other, ModelFamily.SDXL, layout)

    @Test
    fun `the single checkpoint is SDXL with its four components under canonical names`() {
        assertEquals(ModelFamily.SDXL, single.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.VAE),
            single.components.keys)
        for ((kind, entries) in tiny.components) {
            val expected = entries.map { if (it.ldm == SdTensorLayout.TEXT_PROJECTION) SdTensorLayout.OPEN_CLIP_PROJECTION else it.ldm }
            assertEquals(expected.toSet(), single.components.getValue(kind).tensors.keys, kind.label)
        }
        assertEquals(listOf("conditioner.embedders.1.model.logit_scale"), single.ignoredTensors)
    }

    @Test
    fun `the GGUF conversion resolves to the same components`() {
        assertSameModel(single, open(tiny.writeSingleFile(dir.resolve("tiny-sdxl.gguf"))), "gguf")
    }

    @Test
    fun `separate component files resolve to the diffusers folder's components whatever order they are given in`() {
        val files = tiny.writeSplitFiles(dir.resolve("split"))
        assertSameModel(folder, open(*files.toTypedArray()), "split files")
        assertSameModel(folder, open(*files.reversed().toTypedArray()), "split files, bigG first")
    }

    @Test
    fun `the checkpoint's fused OpenCLIP attention resolves to the diffusers folder's separate projections`() {
        val fromCheckpoint = single.components.filterKeys { it != ComponentKind.TEXT_ENCODER_2 } +
            (ComponentKind.TEXT_ENCODER_2 to single.components.getValue(ComponentKind.TEXT_ENCODER_2).let { c ->
                c.copy(tensors = c.tensors - SdTensorLayout.OPEN_CLIP_PROJECTION)
            })
        val fromFolder = folder.components.getValue(ComponentKind.TEXT_ENCODER_2).let { c -> c.copy(tensors = c.tensors - SdTensorLayout.TEXT_PROJECTION) }
        assertSameModel(single.copy(components = fromCheckpoint),
            folder.copy(components = folder.components + (ComponentKind.TEXT_ENCODER_2 to fromFolder)), "checkpoint against folder")
        assertTrue(single.components.getValue(ComponentKind.TEXT_ENCODER_2).tensors
            .getValue("text_model.encoder.layers.1.self_attn.v_proj.weight").byteOffset > 0, "v is the third slice of in_proj")
    }

    @Test
    fun `the checkpoint's OpenCLIP projection is the transpose of the diffusers Linear`() {
        val openClip = single.components.getValue(ComponentKind.TEXT_ENCODER_2).tensors.getValue(SdTensorLayout.OPEN_CLIP_PROJECTION)
        val linear = folder.components.getValue(ComponentKind.TEXT_ENCODER_2).tensors.getValue(SdTensorLayout.TEXT_PROJECTION)
        assertEquals(linear.shape.reversed(), openClip.shape)
        val p = bytes(openClip).asShortBuffer()
        val w = bytes(linear).asShortBuffer()
        val (inputs, outputs) = linear.shape.map { it.toInt() }   // ggml order of the Linear: [in, out]
        for (o in 0 until outputs) for (i in 0 until inputs) {
            assertEquals(w.get(o * inputs + i), p.get(i * outputs + o), "W[$o, $i] against P[$i, $o]")
        }
        assertTrue((0 until w.limit()).any { w.get(it) != p.get(it) }, "a random matrix differs from its transpose")
    }

    @Test
    fun `mixed storage types survive the checkpoint's OpenCLIP renaming and transposition`() {
        val mixed = TinySdModel(TinySdModel.SDXL_TINY, typeOf = { kind, name ->
            when {
                kind == ComponentKind.TEXT_ENCODER_2 && name.contains("self_attn") -> DType.BF16
                kind == ComponentKind.TEXT_ENCODER_2 -> DType.F32
                else -> DType.F16
            }
        })
        val a = open(mixed.writeSingleFile(dir.resolve("mixed.safetensors"))).components.getValue(ComponentKind.TEXT_ENCODER_2).tensors
        val b = open(mixed.writeDiffusersFolder(dir.resolve("mixed-diffusers"))).components.getValue(ComponentKind.TEXT_ENCODER_2).tensors
        for ((name, ref) in b) {
            val theirs = a[name] ?: a.getValue(SdTensorLayout.OPEN_CLIP_PROJECTION)
            assertEquals(ref.type, theirs.type, name)
            if (name != SdTensorLayout.TEXT_PROJECTION) assertEquals(bytes(ref), bytes(theirs), name)
        }
        assertEquals(DType.BF16, a.getValue("text_model.encoder.layers.0.self_attn.k_proj.bias").type)
        assertEquals(DType.F32, a.getValue(SdTensorLayout.OPEN_CLIP_PROJECTION).type)
    }

    @Test
    fun `a diffusers folder records a tokenizer for each text encoder`() {
        val sources = folder.tokenizers
        assertEquals(setOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2), sources.keys)
        assertEquals(dir.resolve("diffusers/tokenizer_2/vocab.json"), (sources.getValue(ComponentKind.TEXT_ENCODER_2) as TokenizerSource.VocabAndMerges).vocab)
        val read = ClipVocabulary.load(sources.getValue(ComponentKind.TEXT_ENCODER_2))
        assertEquals(vocabulary.tokens, read.tokens)
        assertEquals(vocabulary.merges, read.merges)
    }

    @Test
    fun `a GGUF file's one vocabulary serves both text encoders`() {
        val gguf = open(tiny.writeSingleFile(dir.resolve("with-vocabulary.gguf"), tokenizer))
        assertTrue(gguf.tokenizers.getValue(ComponentKind.TEXT_ENCODER) is TokenizerSource.GgufMetadata)
        assertEquals(gguf.tokenizers.getValue(ComponentKind.TEXT_ENCODER), gguf.tokenizers.getValue(ComponentKind.TEXT_ENCODER_2))
    }
}
