package dev.sdj.core.family.flux

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.ModelFileException
import dev.sdj.core.family.sd.SameComponents
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsFile
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/**
 * The generated Flux layouts open as one model: the same components, names, shapes, types and bytes; a diffusers
 * folder's DiT keeps diffusers' names, and BFL's fused tensors are its parts end to end.
 */
class FluxLayoutsTest {
    private val tiny = TinyFluxModel()

    private fun open(paths: List<Path>) = ModelAssembly.assemble(ModelOpener.open(paths))

    @Test
    fun `the all-in-one checkpoint and the separate files assemble to the same components`(@TempDir dir: Path) {
        val single = open(listOf(tiny.writeSingleFile(dir.resolve("flux1-tiny-all.safetensors"))))
        val split = open(tiny.writeSplitFiles(dir.resolve("split")))
        assertEquals(ModelFamily.FLUX, single.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.VAE),
            single.components.keys)
        SameComponents.assertSame(single, split, ModelFamily.FLUX, "separate files")
    }

    @Test
    fun `a quantized GGUF DiT keeps sd_cpp's excepted tensors and quantizes the block linears`(@TempDir dir: Path) {
        val q = TinyFluxModel.quantizedDit(DType.Q4_K)
        val model = open(q.writeSplitFiles(dir, ditFile = "flux1-tiny-Q4_K.gguf"))
        val dit = model.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors
        assertEquals(DType.Q4_K, dit.getValue("double_blocks.0.img_attn.qkv.weight").type)
        assertEquals(DType.Q4_K, dit.getValue("single_blocks.1.linear1.weight").type)
        assertEquals(DType.F16, dit.getValue("img_in.weight").type, "input layers stay as stored")
        assertEquals(DType.F16, dit.getValue("double_blocks.0.img_attn.norm.query_norm.scale").type)
        assertTrue(dit.keys.any { it.startsWith("guidance_in.") }, "dev's structure has the guidance embedding")
    }

    private fun bytes(model: AssembledModel, name: String): ByteBuffer =
        SameComponents.bytes(model.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.getValue(name))

    private fun concat(model: AssembledModel, names: List<String>): ByteBuffer {
        val parts = names.map { bytes(model, it) }
        val out = ByteBuffer.allocate(parts.sumOf { it.remaining() })
        parts.forEach { out.put(it) }
        return out.flip()
    }

    private fun swapHalves(b: ByteBuffer): ByteBuffer {
        val half = b.remaining() / 2
        val out = ByteBuffer.allocate(b.remaining())
        out.put(b.duplicate().position(half)).put(b.duplicate().limit(half))
        return out.flip()
    }

    @Test
    fun `the diffusers folder holds the separate files' weights, the DiT split and renamed as diffusers stores it`(@TempDir dir: Path) {
        val root = tiny.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"))
        assertEquals(2, Files.list(root.resolve("transformer")).use { s -> s.filter { it.fileName.toString().matches(Regex("""diffusion_pytorch_model-0000\d-of-00002\.safetensors""")) }.count() })
        assertTrue(Files.isRegularFile(root.resolve("transformer/diffusion_pytorch_model.safetensors.index.json")))
        assertTrue(Files.isRegularFile(root.resolve("text_encoder_2/model-00002-of-00002.safetensors")))
        assertTrue(Files.isRegularFile(root.resolve("text_encoder_2/model.safetensors.index.json")))
        val index = ObjectMapper().readTree(root.resolve("model_index.json").toFile())
        assertEquals("FluxPipeline", index.get("_class_name").asText())
        assertEquals(listOf("diffusers", "FluxTransformer2DModel"), index.get("transformer").map { it.asText() })
        assertEquals(listOf("transformers", "T5TokenizerFast"), index.get("tokenizer_2").map { it.asText() })
        val config = ObjectMapper().readTree(root.resolve("transformer/config.json").toFile())
        assertEquals(tiny.arch.dit.singleBlocks, config.get("num_single_layers").asInt())
        assertEquals(listOf(8, 28, 28), config.get("axes_dims_rope").map { it.asInt() })
        val folder = open(listOf(root))
        val split = open(tiny.writeSplitFiles(dir.resolve("split")))
        assertEquals(ModelFamily.FLUX, folder.family)
        val others = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.VAE)
        SameComponents.assertSame(split.copy(components = split.components.filterKeys { it in others }),
            folder.copy(components = folder.components.filterKeys { it in others }), ModelFamily.FLUX, "diffusers folder")

        val h = tiny.arch.dit.hidden
        assertEquals(bytes(split, "double_blocks.1.img_attn.qkv.weight"),
            concat(folder, listOf("to_q", "to_k", "to_v").map { "transformer_blocks.1.attn.$it.weight" }))
        assertEquals(bytes(split, "double_blocks.0.txt_attn.qkv.bias"),
            concat(folder, listOf("add_q_proj", "add_k_proj", "add_v_proj").map { "transformer_blocks.0.attn.$it.bias" }))
        assertEquals(bytes(split, "single_blocks.1.linear1.weight"),
            concat(folder, listOf("attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp").map { "single_transformer_blocks.1.$it.weight" }))
        assertEquals(bytes(split, "single_blocks.0.modulation.lin.bias"), bytes(folder, "single_transformer_blocks.0.norm.linear.bias"))
        assertEquals(bytes(split, "double_blocks.0.txt_mod.lin.weight"), bytes(folder, "transformer_blocks.0.norm1_context.linear.weight"))
        assertEquals(bytes(split, "final_layer.adaLN_modulation.1.weight"), swapHalves(bytes(folder, "norm_out.linear.weight")))
        assertEquals(bytes(split, "double_blocks.1.txt_attn.norm.key_norm.scale"), bytes(folder, "transformer_blocks.1.attn.norm_added_k.weight"))
        assertEquals(listOf(h.toLong(), h.toLong()), folder.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.getValue("transformer_blocks.0.attn.to_k.weight").shape)
        // Every BFL tensor is some diffusers tensors end to end, and the folder has no others.
        val dit = split.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors
        val used = HashSet<String>()
        for (name in dit.keys) {
            val parts = DiffusersFluxNames.targets(name).also { used.addAll(it) }
            val joined = concat(folder, parts)
            assertEquals(bytes(split, name), if (name.startsWith("final_layer.adaLN_modulation.")) swapHalves(joined) else joined, name)
        }
        assertEquals(used, folder.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.keys)
        FluxModelCheck.check(folder)
    }

    @Test
    fun `a diffusers folder missing a transformer shard is an error naming the shard`(@TempDir dir: Path) {
        val root = tiny.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"))
        Files.delete(root.resolve("transformer/diffusion_pytorch_model-00002-of-00002.safetensors"))
        val e = assertThrows(ModelFileException::class.java) { open(listOf(root)) }
        assertEquals(root.resolve("transformer/diffusion_pytorch_model.safetensors.index.json"), e.file())
        assertTrue(e.message!!.contains("diffusion_pytorch_model-00002-of-00002.safetensors"), e.message)
    }

    @Test
    fun `FluxModelCheck refuses a diffusers transformer with a tensor of the wrong shape, or without one`(@TempDir dir: Path) {
        val root = tiny.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"))
        val name = "transformer_blocks.1.ff.net.2.weight"
        val shard = open(listOf(root)).components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.getValue(name).file.path
        transposeIn(shard, name)
        val e = assertThrows(ModelFileException::class.java) { FluxModelCheck.check(open(listOf(root))) }
        assertEquals(name, e.tensor().orElse(null))
        assertEquals(shard, e.file())
        assertTrue(e.message!!.contains("[1024, 256]") && e.message!!.contains("[256, 1024]"), e.message)

        val intact = open(listOf(tiny.writeDiffusersFolder(dir.resolve("intact"))))
        val dit = intact.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val gone = "single_transformer_blocks.1.proj_mlp.bias"
        val without = intact.copy(components = intact.components + (ComponentKind.DIFFUSION_MODEL to Component(dit.kind, dit.tensors - gone)))
        val missing = assertThrows(ModelFileException::class.java) { FluxModelCheck.check(without) }
        assertTrue(missing.message!!.contains(gone), missing.message)
    }

    /** Only image-to-image reads the autoencoder's encoder: a file without it opens, one with part of it does not. */
    @Test
    fun `FluxModelCheck takes a decoder-only VAE but refuses a partial encoder`(@TempDir dir: Path) {
        val intact = open(tiny.writeSplitFiles(dir))
        val vae = intact.components.getValue(ComponentKind.VAE)
        fun withVae(tensors: Map<String, dev.sdj.core.model.TensorRef>) = intact.copy(components = intact.components + (ComponentKind.VAE to Component(vae.kind, tensors)))
        FluxModelCheck.check(withVae(vae.tensors.filterKeys { !it.startsWith("encoder.") }))
        val gone = "encoder.down.1.block.0.nin_shortcut.weight"
        val e = assertThrows(ModelFileException::class.java) { FluxModelCheck.check(withVae(vae.tensors - gone)) }
        assertTrue(e.message!!.contains(gone), e.message)
    }

    /** Rewrites [shard] with [name]'s shape reversed: the same bytes, a shape no Flux DiT has there. */
    private fun transposeIn(shard: Path, name: String) {
        val file = SafetensorsFile.read(shard)
        val writer = SafetensorsWriter()
        for (t in file.tensors) {
            val data = Files.newByteChannel(shard).use { ch -> ByteBuffer.allocate(t.byteSize.toInt()).also { ch.position(t.offset).read(it) }.flip() }
            writer.addTensor(t.name, t.type, if (t.name == name) t.shape.reversed() else t.shape, TensorData.of(data))
        }
        writer.write(shard)
    }
}
