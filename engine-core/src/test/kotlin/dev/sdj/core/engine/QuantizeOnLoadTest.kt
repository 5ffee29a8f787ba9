package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/** Weights quantized while loading (sd.cpp's `--type`): the same bytes its converter writes, planned and loaded alike. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuantizeOnLoadTest {
    private val dir: Path = Files.createTempDirectory("sdj-quantize-on-load")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val arch = TinySdModel.SD1_TINY_WIDE_TEXT.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) }
    private val f16: Path = TinySdModel(arch).writeSingleFile(dir.resolve("f16.gguf"), vocab.tokens to vocab.merges)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(device: String, placement: String = "auto") = GenerationRequest.builder("a lighthouse at dusk")
        .size(64, 64).steps(2).seed(5).cfgScale(1.0).sampler("euler").device(device).threads(2).placement(placement).build()

    private fun bytesOf(buffer: ParamBuffer, name: String): ByteBuffer {
        val t = buffer.tensor(name)
        return ByteBuffer.allocateDirect(t.nbytes().toInt()).also { t.read(it, 0) }
    }

    @ParameterizedTest
    @ValueSource(strings = ["q8_0", "q4_K"])
    fun `weights quantized while loading are the bytes sd-cpp's converter writes`(typeName: String) {
        val ggml = Ggml.get()
        val type = DType.entries.single { it.ggml?.ggmlName() == typeName }
        val converted = TinySdModel.convertedLikeSdCpp(type, arch).writeSingleFile(dir.resolve("$typeName.gguf"), vocab.tokens to vocab.merges)
        val fromF16 = ModelAssembly.assemble(ModelOpener.open(listOf(f16)))
        val fromFile = ModelAssembly.assemble(ModelOpener.open(listOf(converted)))
        val cpu = ggml.cpu()
        val support = DeviceTypeSupport.of(ggml, cpu)
        val ledger = MemoryLedger()
        var quantized = 0
        for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)) {
            val a = fromF16.components.getValue(kind)
            val b = fromFile.components.getValue(kind)
            ParamLoader().use { loader ->
                val (onLoad, _) = loader.allocateAndLoad(ggml, ledger, cpu.bufferType(),
                    ParamSpecs.of(a, support, requested = type).usable("CPU"), a.tensors, "quantized on load")
                val (stored, _) = loader.allocateAndLoad(ggml, ledger, cpu.bufferType(), ParamSpecs.of(b, support).usable("CPU"), b.tensors, "converted")
                onLoad.use {
                    stored.use {
                        for (name in a.tensors.keys) {
                            if (onLoad.tensor(name).type() == type.ggml) quantized++
                            // vectors stay f32 either way: sd.cpp's graphs hold norm scales in f32 too, only its converter quantizes them
                            if (onLoad.tensor(name).type() != GgmlType.F32) assertEquals(bytesOf(stored, name), bytesOf(onLoad, name), "$typeName: $name")
                        }
                    }
                }
            }
        }
        assertTrue(quantized > 10, "$quantized tensors quantized to $typeName")
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `a model quantized while loading is planned at its quantized size and generates close to the f16 one`(device: String) {
        // Against f16 copied whole: on the CPU f16 weights are otherwise read in place from the file, not allocated.
        val f16Bytes = SdjEngine(EngineConfig.of(f16).withWeightMapping(false)).use { it.plan(request(device)).parameterBytes() }
        SdjEngine(EngineConfig.of(f16).withWeightType("q8_0")).use { engine ->
            val plan = engine.plan(request(device, "resident"))
            val result = engine.generate(request(device, "resident"))
            assertEquals(plan.peakBytes(), result.peakDeviceBytes().getValue(device), "predicted = ledger peak")
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL)) {
                assertEquals(plan.parameterBytes().getValue(kind.label), engine.residentBytes(kind), kind.label)
                assertTrue(plan.parameterBytes().getValue(kind.label) < f16Bytes.getValue(kind.label), "${kind.label} smaller than in f16")
            }
            val reference = SdjEngine(EngineConfig.of(f16)).use { it.generate(request(device)).png }
            val psnr = ImageDifference.psnr(reference, result.png)
            println("quantize on load: q8_0 on $device: PSNR %.1f dB against f16".format(psnr))
            assertTrue(psnr >= 46.0, "PSNR $psnr")
        }
    }

    @Test
    fun `a type ggml cannot quantize to without an importance matrix is refused, naming the valid ones`() {
        val e = assertThrows(InvalidRequestException::class.java) { SdjEngine(EngineConfig.of(f16).withWeightType("iq2_xxs")) }
        assertTrue(e.message!!.contains("q8_0") && e.message!!.contains("q4_K"), e.message)
    }

    @Test
    fun `plan names --type q8_0 when quantizing while loading would let a faster placement fit, and never applies it`() {
        val quantizedResident = SdjEngine(EngineConfig.of(f16).withWeightType("q8_0")).use {
            it.plan(request("Vulkan0")).peakByPlacement().getValue("resident")
        }
        SdjEngine(EngineConfig.of(f16)).use { engine ->
            val f16Resident = engine.plan(request("Vulkan0")).peakByPlacement().getValue("resident")
            assertTrue(quantizedResident < f16Resident, "q8_0 resident $quantizedResident, f16 resident $f16Resident")
            val capped = engine.plan(request("Vulkan0").toBuilder().maxDeviceMemory(quantizedResident).build())
            assertTrue(capped.placement() != "resident", capped.placement())
            assertTrue(capped.reason().contains("--type q8_0 would let resident fit"), capped.reason())
            assertTrue(!engine.plan(request("Vulkan0")).reason().contains("--type"), "resident already fits: nothing to say")
            val forced = engine.plan(request("Vulkan0", "streamed").toBuilder().maxDeviceMemory(quantizedResident).build())
            assertTrue(!forced.reason().contains("--type"), "a forced placement gets no levers: ${forced.reason()}")
        }
        SdjEngine(EngineConfig.of(f16).withWeightType("q8_0")).use { engine ->
            val capped = engine.plan(request("Vulkan0").toBuilder().maxDeviceMemory(quantizedResident - 1).build())
            assertTrue(!capped.reason().contains("--type"), "already quantizing: ${capped.reason()}")
        }
    }
}
