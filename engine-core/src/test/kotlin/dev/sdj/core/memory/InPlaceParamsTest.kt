package dev.sdj.core.memory

import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/** Parameters served from the mapped model file on the CPU: which ones, their bytes, and what the ledger records. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InPlaceParamsTest {
    private val dir: Path = Files.createTempDirectory("sdj-in-place")
    private val ggml = Ggml.get()
    private val cpu = ggml.cpu()
    private val support = DeviceTypeSupport.of(ggml, cpu)

    /** Stored types the CPU takes as they are (f16, f32, bf16) and ones it must convert (f8 → f16). */
    private val mixed = TinySdModel(typeOf = { kind, name ->
        when {
            kind == ComponentKind.VAE -> DType.BF16
            name.endsWith("attn1.to_q.weight") -> DType.F8_E4M3
            kind == ComponentKind.TEXT_ENCODER -> DType.F32
            else -> DType.F16
        }
    })

    private fun open(path: Path): AssembledModel = ModelAssembly.assemble(ModelOpener.open(listOf(path)))

    @AfterAll
    fun deleteFiles() {
        dir.toFile().deleteRecursively()
    }

    private fun bytes(buffer: ParamBuffer, name: String): ByteBuffer {
        val t = buffer.tensor(name)
        return ByteBuffer.allocateDirect(t.nbytes().toInt()).also { t.read(it, 0) }
    }

    @Test
    fun `in a safetensors file aligned tensors of a type the CPU takes are mapped, the rest copied, all with the copied bytes`() {
        val model = open(mixed.writeSingleFile(dir.resolve("mixed.safetensors")))
        var unalignedKept = 0
        var converted = 0
        val ledger = MemoryLedger()
        for (component in model.components.values) {
            val specs = ParamSpecs.of(component, support).usable("CPU")
            val selected = InPlaceParams.select(specs, component.tensors)
            for (spec in specs) {
                val ref = component.tensors.getValue(spec.name)
                val sameType = ref.type.ggml == spec.type
                val aligned = ref.fileOffset % 32 == 0L
                assertEquals(sameType && aligned, spec.name in selected, "${spec.name}: ${ref.type} → ${spec.type.ggmlName()} at ${ref.fileOffset}")
                if (sameType && !aligned) unalignedKept++
                if (!sameType) converted++
            }
            ParamLoader().use { loader ->
                val (copied, _) = loader.allocateAndLoad(ggml, ledger, cpu.bufferType(), specs, component.tensors, "copied")
                val (mapped, written) = loader.allocateAndLoad(ggml, ledger, cpu.bufferType(), specs, component.tensors, "mapped", selected)
                copied.use {
                    mapped.use {
                        assertEquals(selected.keys, mapped.mappedNames)
                        for (spec in specs) assertEquals(bytes(copied, spec.name), bytes(mapped, spec.name), spec.name)
                        assertEquals(ParamLayout.bytesNeeded(ggml, cpu.bufferType(), specs.filter { it.name !in selected }), mapped.bytes, "allocated")
                        assertEquals(InPlaceParams.bytes(selected), mapped.mappedBytes, "mapped")
                        assertEquals(mapped.mappedBytes, ledger.currentBytes(MemoryLedger.MAPPED_POOL), "the ledger's mapped pool")
                        assertEquals(copied.bytes + mapped.bytes, ledger.currentBytes("CPU"), "the ledger's CPU pool: allocated only")
                        assertEquals(mapped.copiedNames.sumOf { mapped.tensor(it).nbytes() }, written, "only the copied tensors are loaded")
                    }
                }
            }
            assertEquals(0, ledger.currentBytes(MemoryLedger.MAPPED_POOL), "closing unmaps")
        }
        assertTrue(unalignedKept > 0, "the file has unaligned tensors of a type the CPU takes: they are copied")
        assertTrue(converted > 0, "the file has tensors the CPU must convert: they are copied")
        assertTrue(ledger.peakBytes(MemoryLedger.MAPPED_POOL) > 0)
    }

    @Test
    fun `in a GGUF file every tensor of a type the CPU takes is mapped`() {
        val model = open(TinySdModel().writeSingleFile(dir.resolve("tiny.gguf")))
        for (component in model.components.values) {
            val specs = ParamSpecs.of(component, support).usable("CPU")
            val selected = InPlaceParams.select(specs, component.tensors)
            assertEquals(specs.filter { component.tensors.getValue(it.name).type.ggml == it.type }.map { it.name }.toSet(), selected.keys)
            assertFalse(selected.isEmpty())
        }
    }

    @Test
    fun `quantizing on load copies every tensor it quantizes`() {
        val model = open(TinySdModel().writeSingleFile(dir.resolve("tiny-q.gguf")))
        val unet = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val specs = ParamSpecs.of(unet, support, requested = DType.Q8_0).usable("CPU")
        val selected = InPlaceParams.select(specs, unet.tensors)
        assertTrue(specs.any { it.type == DType.Q8_0.ggml })
        assertTrue(specs.filter { it.type == DType.Q8_0.ggml }.none { it.name in selected })
    }

    @Test
    fun `mappings span one file each, in file order, split where a span would exceed the limit`() {
        val model = open(TinySdModel().writeSingleFile(dir.resolve("regions.gguf")))
        val unet = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val selected = InPlaceParams.select(ParamSpecs.of(unet, support).usable("CPU"), unet.tensors)
        val largest = selected.values.maxOf { it.byteSize }
        val regions = InPlaceParams.regions(selected, maxSpan = 4 * largest)
        assertTrue(regions.size > 1)
        assertEquals(selected.keys, regions.flatMap { r -> r.tensors.map { it.first } }.toSet())
        for (r in regions) {
            assertTrue(r.end - r.start <= 4 * largest, "span ${r.end - r.start}")
            assertEquals(r.tensors.minOf { it.second.fileOffset }, r.start)
            assertEquals(r.tensors.maxOf { it.second.fileOffset + it.second.byteSize }, r.end)
        }
        assertEquals(regions.sortedBy { it.start }, regions)
        assertEquals(InPlaceParams.bytes(selected), regions.sumOf { it.bytes })
    }
}
