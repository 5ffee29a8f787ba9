package dev.sdj.core.memory

import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.AfterAll
import java.nio.file.Files
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel
import java.nio.file.Path

/** Components loaded into CPU and Vulkan buffers hold the file's bytes (or their exact conversions). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParamLoadingTest {
    private val dir: Path = Files.createTempDirectory("sdj-test")

    private val ggml = Ggml.get()
    private lateinit var model: AssembledModel

    /** Every storage type the loader handles: f16 and f32 as they are, bf16 (kept or widened), both f8 kinds. */
    private val tiny = TinySdModel(typeOf = { kind, name ->
        when {
            kind == ComponentKind.VAE -> DType.BF16
            name.endsWith("attn1.to_q.weight") -> DType.F8_E4M3
            name.endsWith("attn1.to_k.weight") -> DType.F8_E5M2
            kind == ComponentKind.TEXT_ENCODER -> DType.F32
            else -> DType.F16
        }
    })

    @AfterAll
    fun deleteFiles() {
        dir.toFile().deleteRecursively()
    }

    @BeforeAll
    fun writeModel() {
        model = ModelAssembly.assemble(ModelOpener.open(listOf(tiny.writeSingleFile(dir.resolve("mixed.safetensors")))))
    }

    private fun device(which: String): Device =
        if (which == "cpu") ggml.cpu() else ggml.devices().first { it.backendName() == "Vulkan" }

    private fun fileBytes(ref: TensorRef): ByteBuffer = FileChannel.open(ref.file.path).use { ch ->
        val b = ByteBuffer.allocate(ref.byteSize.toInt()).order(ByteOrder.LITTLE_ENDIAN)
        ch.read(b, ref.fileOffset)
        b.flip()
    }

    private fun deviceBytes(buffer: ParamBuffer, name: String): ByteBuffer {
        val t = buffer.tensor(name)
        val b = ByteBuffer.allocateDirect(t.nbytes().toInt()).order(ByteOrder.LITTLE_ENDIAN)
        t.read(b, 0)
        return b
    }

    @ParameterizedTest
    @ValueSource(strings = ["cpu", "vulkan"])
    fun `every component loads with exact bytes or exact conversions`(which: String) {
        val dev = device(which)
        val ledger = MemoryLedger()
        val support = DeviceTypeSupport.of(ggml, dev)
        for (component in model.components.values) {
            val specs = ParamSpecs.of(component, support)
            assertTrue(specs.unsupported.isEmpty())
            ParamBuffer.allocate(ggml, ledger, dev.bufferType(), specs.specs, component.kind.label).use { buffer ->
                assertEquals(ParamLayout.bytesNeeded(ggml, dev.bufferType(), specs.specs), buffer.bytes, "predicted bytes")
                ParamLoader().use { it.load(buffer, component.tensors) }
                for ((name, ref) in component.tensors) {
                    val expected = fileBytes(ref)
                    val actual = deviceBytes(buffer, name)
                    val target = buffer.tensor(name).type()
                    when {
                        ref.type.ggml == target -> assertEquals(expected, actual, "$which: bytes of $name")
                        ref.type == DType.BF16 -> repeat(expected.remaining() / 2) { i ->
                            assertEquals((expected.getShort(2 * i).toInt() and 0xffff) shl 16, actual.getInt(4 * i), "$name[$i]")
                        }
                        ref.type == DType.F16 && target == GgmlType.F32 -> repeat(expected.remaining() / 2) { i ->
                            assertEquals(HalfFloat.toFloat(expected.getShort(2 * i)), actual.getFloat(4 * i), "$name[$i]")
                        }
                        ref.type == DType.F8_E4M3 -> repeat(expected.remaining()) { i ->
                            assertEquals(ElementConversion.F8E4M3ToF16.e4m3(expected.get(i).toInt() and 0xff),
                                HalfFloat.toFloat(actual.getShort(2 * i)), "$name[$i]")
                        }
                        ref.type == DType.F8_E5M2 -> repeat(expected.remaining()) { i ->
                            assertEquals(((expected.get(i).toInt() and 0xff) shl 8).toShort(), actual.getShort(2 * i), "$name[$i]")
                        }
                        else -> throw AssertionError("unexpected conversion ${ref.type} -> ${target.ggmlName()} for $name")
                    }
                }
            }
        }
        assertEquals(0, ledger.states().sumOf { it.currentBytes }, "everything was freed")
    }

    @ParameterizedTest
    @ValueSource(strings = ["cpu", "vulkan"])
    fun `ledger current and peak equal the live buffers at every step`(which: String) {
        val dev = device(which)
        val ledger = MemoryLedger()
        val pool = dev.bufferType().name()
        val support = DeviceTypeSupport.of(ggml, dev)
        val live = LinkedHashMap<ComponentKind, ParamBuffer>()
        var expectedPeak = 0L

        fun check(step: String) {
            val sizes = live.values.sumOf { b -> b.chunks.sumOf { it.buffer.size() } }
            expectedPeak = maxOf(expectedPeak, sizes)
            val state = ledger.state(pool)
            assertEquals(sizes, state.currentBytes, "current after $step")
            assertEquals(expectedPeak, state.peakBytes, "peak after $step")
            assertEquals(live.values.map { it.owner }.toSet(), state.holdings.map { it.owner }.toSet(), "holders after $step")
        }

        fun allocate(kind: ComponentKind) {
            val c = model.components.getValue(kind)
            live[kind] = ParamBuffer.allocate(ggml, ledger, dev.bufferType(), ParamSpecs.of(c, support).specs, kind.label)
            check("allocating the ${kind.label}")
        }

        fun free(kind: ComponentKind) {
            live.remove(kind)!!.close()
            check("freeing the ${kind.label}")
        }

        // The sequential-load pattern: encoder, then the diffusion model and VAE once the encoder is gone.
        allocate(ComponentKind.TEXT_ENCODER)
        allocate(ComponentKind.DIFFUSION_MODEL)
        free(ComponentKind.TEXT_ENCODER)
        allocate(ComponentKind.VAE)
        free(ComponentKind.DIFFUSION_MODEL)
        allocate(ComponentKind.TEXT_ENCODER)
        free(ComponentKind.VAE)
        free(ComponentKind.TEXT_ENCODER)
        assertEquals(0, ledger.currentBytes(pool))
        assertTrue(expectedPeak > 0)
    }

    @ParameterizedTest
    @ValueSource(strings = ["cpu", "vulkan"])
    fun `one block of a component can be allocated on its own`(which: String) {
        val dev = device(which)
        val unet = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val block = unet.tensors.keys.filter { it.startsWith("input_blocks.1.") }
        val ledger = MemoryLedger()
        ParamBuffer.allocate(ggml, ledger, dev.bufferType(), ParamSpecs.of(unet, DeviceTypeSupport.of(ggml, dev), block).specs, "unet input block 1").use { b ->
            ParamLoader().use { it.load(b, unet.tensors) }
            assertEquals(block.toSet(), b.names)
            assertEquals(b.bytes, ledger.currentBytes(dev.bufferType().name()))
            assertEquals(GgmlType.F16, b.tensor("input_blocks.1.0.in_layers.2.weight").type())
        }
    }
}
