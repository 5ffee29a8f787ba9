package dev.sdj.core.family.ltx2

import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ModelFileException
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.gemma3.Gemma3Component
import dev.sdj.core.family.gemma3.Gemma3Dimensions
import dev.sdj.core.family.gemma3.Gemma3ModelVocabulary
import dev.sdj.core.family.gemma3.Gemma3NormWeights
import dev.sdj.core.family.gemma3.Gemma3TestVocabulary
import dev.sdj.core.family.gemma3.Gemma3Tokenizer
import dev.sdj.core.family.gemma3.Gemma3Vocabulary
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.ModelInspector
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.TokenizerSource
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsFile
import dev.sdj.core.model.safetensors.SafetensorsWriter
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's conditioner assembled from the files users download, as [TinyLtx2Text] writes them: Gemma-3 (llama.cpp GGUF
 * or Hugging Face safetensors) as the text encoder under llama.cpp's names, the connectors (from the DiT's file) and
 * projections (from the embeddings_connectors file) as the text connectors under the names the context reads, and
 * the Gemma vocabulary from the GGUF or a tokenizer.json.
 */
class Ltx2TextAssemblyTest {
    @TempDir
    lateinit var dir: Path

    private val tiny = TinyLtx2Text()

    private fun assemble(paths: List<Path>, tokenizer: Path? = null): AssembledModel =
        ModelAssembly.assemble(ModelOpener.open(paths, tokenizer))

    /** [component]'s tensors allocated on the CPU (no values), as the builders see them. */
    private fun <T> withWeights(component: Component, use: (MapWeights) -> T): T {
        val ggml = Ggml.get()
        val cpu = ggml.cpu()
        val specs = ParamSpecs.of(component, DeviceTypeSupport.of(ggml, cpu)).specs
        return ParamBuffer.allocate(ggml, MemoryLedger(), cpu.bufferType(), specs, component.kind.label).use { buffer ->
            use(MapWeights(buffer.names.associateWith { buffer.tensor(it) }))
        }
    }

    @Test
    fun `the Gemma GGUF and the connectors files give the text encoder, the text connectors and the vocabulary`() {
        val files = tiny.writeFiles(dir)
        val model = assemble(files.all)
        assertEquals(ModelFamily.LTX2, model.family)
        assertEquals(setOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_CONNECTORS), model.components.keys, "no DiT is needed to condition")
        val gemma = model.components.getValue(ComponentKind.TEXT_ENCODER)
        assertEquals(tiny.gemmaTensors.map { it.name }.toSet(), gemma.tensors.keys)
        assertEquals(Gemma3NormWeights.ONE_PLUS_W, Gemma3Component.normWeights(model))
        val connectors = model.components.getValue(ComponentKind.TEXT_CONNECTORS)
        assertEquals((tiny.connectorTensors + tiny.projectionTensors).map { it.name }.toSet(), connectors.tensors.keys)

        assertEquals(tiny.shapes.gemma, withWeights(gemma) { Gemma3Dimensions.of(it) })
        val context = withWeights(connectors) { Ltx2TextContext.of(it) }
        assertEquals(tiny.shapes.video, context.video.dimensions)
        assertEquals(tiny.shapes.audio, context.audio.dimensions)
        val projection = connectors.tensors.getValue("${Ltx2TextArchitecture.VIDEO_AGGREGATE}.weight")
        assertEquals(listOf(tiny.shapes.featureWidth, tiny.shapes.video.width), projection.shape, "features of every hidden state")
    }

    @Test
    fun `the vocabulary comes from the GGUF metadata and tokenizes with merges rebuilt from the scores`() {
        val model = assemble(tiny.writeFiles(dir).all)
        assertEquals(TokenizerSource.GemmaGgufMetadata(dir.resolve(TinyLtx2Text.GEMMA_FILE), 320), model.tokenizers[ComponentKind.TEXT_ENCODER])
        val vocabulary = Gemma3ModelVocabulary.of(model)
        assertEquals(tiny.shapes.gemma.vocabulary.toInt(), vocabulary.size)
        assertEquals(listOf(0, 1, 2, 3), listOf(vocabulary.padId, vocabulary.eosId, vocabulary.bosId, vocabulary.unkId))
        fun id(token: String) = vocabulary.id(token)!!
        val expected = listOf(2, id("a"), id("▁dog"), id("▁in"), id("▁the"), id("▁video"), id("▁"), id(Gemma3Vocabulary.byteToken(0xC3)),
            id(Gemma3Vocabulary.byteToken(0xA9)))
        assertEquals(expected, Gemma3Tokenizer(vocabulary).encode("a dog in the video é"))
    }

    /** The real checkpoint's layout: the connectors inside the DiT's file, bare in a DiT GGUF. */
    @Test
    fun `connectors from a DiT GGUF in bare names join the projections`() {
        val model = assemble(listOf(tiny.writeGemmaGguf(dir.resolve("gemma.gguf")), tiny.writeConnectors(dir.resolve("dit.gguf")),
            tiny.writeProjections(dir.resolve("ltx-2.3_embeddings_connectors.safetensors"))))
        assertEquals((tiny.connectorTensors + tiny.projectionTensors).map { it.name }.toSet(),
            model.components.getValue(ComponentKind.TEXT_CONNECTORS).tensors.keys)
    }

    @Test
    fun `Hugging Face Gemma safetensors give llama cpp names and norm weights stored as w`() {
        val hf = tiny.writeGemmaHuggingFace(dir.resolve("model.safetensors"))
        val names = SafetensorsFile.read(hf).tensors.map { it.name }
        assertTrue("language_model.model.layers.5.pre_feedforward_layernorm.weight" in names, names.take(5).toString())
        val model = assemble(listOf(hf, tiny.writeConnectors(dir.resolve("c.safetensors"))), tokenizer = Gemma3TestVocabulary.file)
        val gemma = model.components.getValue(ComponentKind.TEXT_ENCODER)
        assertEquals(tiny.gemmaTensors.map { it.name }.toSet(), gemma.tensors.keys)
        assertEquals(Gemma3NormWeights.HUGGING_FACE, Gemma3Component.normWeights(model))
        // the same function as the GGUF: each stored norm weight is the GGUF's minus one
        val gguf = GgufFile.read(tiny.writeGemmaGguf(dir.resolve("g.gguf")))
        val name = "blk.5.ffn_norm.weight"
        val hfValues = floats(gemma.tensors.getValue(name).let { it.file.path to it.fileOffset }, 64)
        val ggufValues = floats(gguf.path to gguf.tensor(name)!!.offset, 64)
        for (i in 0 until 64) assertEquals(ggufValues[i] - 1f, hfValues[i], 1e-6f, "$name[$i]")
    }

    private fun floats(at: Pair<Path, Long>, count: Int): FloatArray {
        val bytes = Files.newByteChannel(at.first).use { ch ->
            ch.position(at.second)
            ByteBuffer.allocate(4 * count).also { while (it.hasRemaining()) ch.read(it) }.flip().order(ByteOrder.LITTLE_ENDIAN)
        }
        return FloatArray(count) { bytes.getFloat() }
    }

    @Test
    fun `a Hugging Face Gemma folder brings its tokenizer json`() {
        val folder = Files.createDirectories(dir.resolve("gemma-3-12b-it"))
        tiny.writeGemmaHuggingFace(folder.resolve("model.safetensors"))
        Files.copy(Gemma3TestVocabulary.file, folder.resolve("tokenizer.json"))
        val model = assemble(listOf(folder, tiny.writeConnectors(dir.resolve("c.safetensors"))))
        assertEquals(TokenizerSource.GemmaJson(folder.resolve("tokenizer.json")), model.tokenizers[ComponentKind.TEXT_ENCODER])
        assertEquals(Gemma3TestVocabulary.vocabulary.size, Gemma3ModelVocabulary.of(model).size)
    }

    /** Lightricks' diffusers release: text_encoder/ (Gemma3ForConditionalGeneration), tokenizer/, connectors/. */
    @Test
    fun `a diffusers folder gives Gemma from text_encoder and its tokenizer json from tokenizer`() {
        val root = dir.resolve("LTX-2")
        tiny.writeGemmaHuggingFace(root.resolve("text_encoder/model.safetensors"))
        val connectors = SafetensorsWriter()
        for (name in listOf("video_connector.learnable_registers", "audio_text_proj_in.weight")) {
            connectors.addTensor(name, DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8)))
        }
        connectors.write(Files.createDirectories(root.resolve("connectors")).resolve("diffusion_pytorch_model.safetensors"))
        val json = Files.copy(Gemma3TestVocabulary.file, Files.createDirectories(root.resolve("tokenizer")).resolve("tokenizer.json"))
        val model = assemble(listOf(root))
        assertEquals(tiny.gemmaTensors.map { it.name }.toSet(), model.components.getValue(ComponentKind.TEXT_ENCODER).tensors.keys)
        assertEquals(Gemma3NormWeights.HUGGING_FACE, Gemma3Component.normWeights(model))
        assertEquals(TokenizerSource.GemmaJson(json), model.tokenizers[ComponentKind.TEXT_ENCODER])
    }

    @Test
    fun `--tokenizer names a tokenizer json or its folder, ahead of the GGUF's vocabulary`() {
        val files = tiny.writeFiles(dir.resolve("model")).all
        val folder = Files.createDirectories(dir.resolve("tokenizer"))
        val json = Files.copy(Gemma3TestVocabulary.file, folder.resolve("tokenizer.json"))
        for (given in listOf(json, folder)) {
            val model = assemble(files, tokenizer = given)
            assertEquals(TokenizerSource.GemmaJson(json), model.tokenizers[ComponentKind.TEXT_ENCODER], "$given")
        }
    }

    @Test
    fun `a model without a Gemma vocabulary asks for the GGUF or --tokenizer`() {
        val model = assemble(listOf(tiny.writeGemmaHuggingFace(dir.resolve("model.safetensors")), tiny.writeConnectors(dir.resolve("c.safetensors"))))
        assertEquals(emptyMap<ComponentKind, TokenizerSource>(), model.tokenizers)
        val e = assertThrows(InvalidRequestException::class.java) { Gemma3ModelVocabulary.of(model) }
        assertTrue("--tokenizer" in e.message!! && "tokenizer.json" in e.message!! && "GGUF" in e.message!!, e.message)
    }

    private fun gemmaGguf(name: String, architecture: String, vararg tensors: String): Path {
        val w = GgufWriter().put("general.architecture", architecture)
        tensors.forEach { w.addTensor(it, DType.F32, listOf(4L), TensorData.of(ByteBuffer.allocate(16))) }
        return dir.resolve(name).also { w.write(it) }
    }

    @Test
    fun `Gemma alone is refused naming the LTX-2 files it needs`() {
        for (gemma in listOf(tiny.writeGemmaGguf(dir.resolve("gemma.gguf")), tiny.writeGemmaHuggingFace(dir.resolve("model.safetensors")))) {
            val e = assertThrows(UnsupportedModelException::class.java) { assemble(listOf(gemma)) }
            assertTrue("Gemma-3" in e.message!! && "embeddings_connectors" in e.message!!, e.message)
        }
    }

    @Test
    fun `a Gemma without decoder layers is refused naming the file and what is missing`() {
        val gemma = gemmaGguf("gemma-3-embeddings.gguf", "gemma3", "token_embd.weight", "output_norm.weight")
        val e = assertThrows(ModelFileException::class.java) { assemble(listOf(gemma, tiny.writeConnectors(dir.resolve("c.safetensors")))) }
        assertEquals(gemma, e.file())
        assertTrue("blk.0.attn_q.weight" in e.reason() && "no decoder layers" in e.reason(), e.reason())
    }

    @Test
    fun `a layer lacking a tensor is refused by name`() {
        val complete = tiny.gemmaTensors.map { it.name }
        val gemma = gemmaGguf("gemma.gguf", "gemma3", *complete.filter { it != "blk.3.ffn_up.weight" }.toTypedArray())
        val e = assertThrows(ModelFileException::class.java) { assemble(listOf(gemma, tiny.writeConnectors(dir.resolve("c.safetensors")))) }
        assertTrue("'blk.3.ffn_up.weight'" in e.reason(), e.reason())
    }

    @Test
    fun `a GGUF of another architecture is not taken for Gemma`() {
        val llama = gemmaGguf("llama.gguf", "llama", *tiny.gemmaTensors.map { it.name }.toTypedArray())
        val e = assertThrows(ModelFileException::class.java) { assemble(listOf(llama, tiny.writeConnectors(dir.resolve("c.safetensors")))) }
        assertEquals(llama, e.file())
        assertTrue("'llama'" in e.reason() && "gemma3" in e.reason(), e.reason())
    }

    @Test
    fun `norm weights of both layouts in one Gemma are refused naming a tensor of each`() {
        val gguf = tiny.writeGemmaGguf(dir.resolve("gemma.gguf"))
        val w = SafetensorsWriter()
        w.addTensor("language_model.model.layers.6.input_layernorm.weight", DType.F32, listOf(64L), TensorData.of(ByteBuffer.allocate(256)))
        val hf = dir.resolve("layer6.safetensors").also { w.write(it) }
        val e = assertThrows(ModelFileException::class.java) { assemble(listOf(gguf, hf, tiny.writeConnectors(dir.resolve("c.safetensors")))) }
        assertEquals(hf, e.file())
        assertTrue("llama.cpp" in e.reason() && gguf.toString() in e.reason(), e.reason())
    }

    @Test
    fun `inspect lists Gemma, the connectors and the DiT given together, with the GGUF's vocabulary`() {
        val dit = SafetensorsWriter()
        for (name in listOf("model.diffusion_model.audio_patchify_proj.weight", "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight")) {
            dit.addTensor(name, DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8)))
        }
        val ditFile = dir.resolve("ltx-2.3-dit.safetensors").also { dit.write(it) }
        val report = ModelInspector.inspect(tiny.writeFiles(dir).all + listOf(ditFile))
        assertEquals(ModelFamily.LTX2, report.family)
        assertEquals(setOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_CONNECTORS, ComponentKind.DIFFUSION_MODEL), report.components.map { it.kind }.toSet())
        assertEquals(tiny.gemmaTensors.size, report.components.first { it.kind == ComponentKind.TEXT_ENCODER }.tensorCount)
        assertTrue(report.tokenizers[ComponentKind.TEXT_ENCODER] is TokenizerSource.GemmaGgufMetadata, "${report.tokenizers}")
        assertEquals(emptyList<ComponentKind>(), report.missingTokenizers)
    }
}
