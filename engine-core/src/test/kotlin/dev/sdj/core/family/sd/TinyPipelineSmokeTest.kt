package dev.sdj.core.family.sd

import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.device.ComputeBackends
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Path

class TinyPipelineSmokeTest {
    @Test
    fun `text encoder, unet, vae decoder and encoder build and run on the tiny model`(@TempDir dir: Path) {
        val ggml = Ggml.get()
        val model = ModelAssembly.assemble(ModelOpener.open(listOf(TinySdModel().writeSingleFile(dir.resolve("m.safetensors")))))
        val device = ggml.cpu()
        val ledger = MemoryLedger()
        val buffers = model.components.mapValues { (kind, c) ->
            ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(c, DeviceTypeSupport.of(ggml, device)).specs, kind.label).also { b ->
                ParamLoader().use { it.load(b, c.tensors) }
            }
        }
        fun weights(kind: ComponentKind) = MapWeights(buffers.getValue(kind).let { b -> b.names.associateWith { b.tensor(it) } })
        ComputeBackends.open(device, 2).use { backend ->
            val clip = CompiledGraph(ggml, device.bufferType()) { g ->
                ClipTextEncoder(quickGelu = true).build(g.nn, weights(ComponentKind.TEXT_ENCODER).at("text_model"), g.input("tokens", GgmlType.I32, 77, 1))
            }
            val ids = ByteBuffer.allocateDirect(77 * 4).order(ByteOrder.nativeOrder())
            repeat(77) { ids.putInt(it * 4, if (it == 0) 998 else if (it < 5) 10 + it else 999) }
            clip.input("tokens").write(ids, 0)
            val hidden = clip.run(backend)
            assertEquals(32 * 77, hidden.size)
            assertTrue(hidden.all { it.isFinite() })

            val unet = CompiledGraph(ggml, device.bufferType()) { g ->
                SdUnet.SD1.build(g.nn, weights(ComponentKind.DIFFUSION_MODEL), g.input("x", GgmlType.F32, 8, 8, 4, 1),
                    g.input("t", GgmlType.F32, 1), g.input("context", GgmlType.F32, 32, 77, 1))
            }
            unet.input("x").setFloats(FloatArray(256) { (it % 7) * 0.1f })
            unet.input("t").setFloats(floatArrayOf(500f))
            unet.input("context").setFloats(hidden)
            val eps = unet.run(backend)
            assertEquals(256, eps.size)
            assertTrue(eps.all { it.isFinite() })

            val vae = CompiledGraph(ggml, device.bufferType()) { g ->
                SdVaeDecoder.build(g.nn, weights(ComponentKind.VAE), g.input("z", GgmlType.F32, 8, 8, 4, 1))
            }
            vae.input("z").setFloats(eps)
            val image = vae.run(backend)
            assertEquals(64 * 64 * 3, image.size)
            assertTrue(image.all { it.isFinite() })
            val encoder = CompiledGraph(ggml, device.bufferType()) { g ->
                SdVaeEncoder.build(g.nn, weights(ComponentKind.VAE), g.input("image", GgmlType.F32, 64, 48, 3, 1))
            }
            encoder.input("image").setFloats(FloatArray(64 * 48 * 3) { ((it % 13) - 6) / 6f })
            val latent = encoder.run(backend)
            assertEquals(8 * 6 * 8, latent.size, "means and log-variances")
            assertTrue(latent.all { it.isFinite() })
            listOf(clip, unet, vae, encoder).forEach { it.close() }
        }
        buffers.values.forEach { it.close() }
    }
}
