package dev.sdj.core.bench

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Convolution
import dev.sdj.core.graph.DirectConvolution
import dev.sdj.core.graph.Im2colConvolution
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Backend
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import java.nio.file.Path
import java.util.Random

/**
 * The SD VAE decoder's convolutions computed through im2col against ggml's direct convolution: for each latent size,
 * the whole decoder's time and compute buffer on each path, and, with [perConvolution], each distinct convolution of
 * the decoder (kernel, channels, resolution) timed alone on each path. The two paths run in A B B A order in one
 * process, the weights loaded once, so ratios compare like with like on a machine others share.
 */
object VaeConvolutionBenchmark {
    /** A graph — the decoder, or one of its convolutions ([count] of them in the decoder) — timed on both paths. */
    data class Timing(val what: String, val latent: Int, val count: Int, val im2colSeconds: Double, val directSeconds: Double,
                      val im2colComputeBytes: Long, val directComputeBytes: Long)

    data class Result(val decodes: List<Timing>, val convolutions: List<Timing>)

    /**
     * @param model a model holding an SD 1.x/2.x VAE (the full-size random SD 1.5 of `bench generate` by default)
     * @param log a line as each measurement ends
     */
    fun run(model: Path, latents: List<Int>, device: Device, threads: Int?, perConvolution: Boolean, log: (String) -> Unit = {}): Result {
        val ggml = Ggml.get()
        val vae = ModelAssembly.assemble(ModelOpener.open(listOf(model))).components[ComponentKind.VAE]
            ?: throw InvalidRequestException("no VAE in $model")
        val specs = ParamSpecs.of(vae, DeviceTypeSupport.of(ggml, device)).usable(device.name())
        return ParamBuffer.allocate(ggml, MemoryLedger(), device.bufferType(), specs, "VAE").use { buffer ->
            ParamLoader().use { it.load(buffer, vae.tensors) }
            val weights = MapWeights(buffer.names.associateWith { buffer.tensor(it) })
            ComputeBackends.open(device, threads).use { backend ->
                val paths = listOf(Im2colConvolution, DirectConvolution(device))
                val decodes = latents.map { decode(ggml, device, backend, weights, it, paths).also { d -> log(line(d)) } }
                val convs = if (!perConvolution) emptyList() else latents.flatMap { latent ->
                    distinctConvolutions(ggml, device, weights, latent).map { conv(ggml, device, backend, latent, it, paths).also { c -> log(line(c)) } }
                }
                Result(decodes, convs)
            }
        }
    }

    private fun decode(ggml: Ggml, device: Device, backend: Backend, weights: Weights, latent: Int, paths: List<Convolution>): Timing {
        val z = random(latent * latent * 4, latent.toLong())
        val build = { g: CompiledGraph.Builder -> SdVaeDecoder.build(g.nn, weights, g.input("z", GgmlType.F32, latent.toLong(), latent.toLong(), 4, 1)) }
        val timed = abba(paths) { path ->
            CompiledGraph(ggml, device.bufferType(), convolution = path, build = build).use { graph ->
                graph.input("z").setFloats(z)
                val start = System.nanoTime()
                graph.run(backend)
                (System.nanoTime() - start) / 1e9
            }
        }
        val bytes = paths.map { CompiledGraph.measure(ggml, device.bufferType(), convolution = it, build = build) }
        return Timing("decoder", latent, 1, timed[0], timed[1], bytes[0], bytes[1])
    }

    /** A convolution as the decoder builds it, and how often it does. */
    private class Seen(val kernel: Tensor, val input: LongArray, val stride: Int, val padding: Int) {
        var count = 0
        val key get() = kernel.shape().toList() + input.toList() + stride.toLong() + padding.toLong()
    }

    /** The decoder's convolutions at [latent], one per kernel, input shape, stride and padding, as its graph builds them. */
    private fun distinctConvolutions(ggml: Ggml, device: Device, weights: Weights, latent: Int): List<Seen> {
        val seen = LinkedHashMap<List<Long>, Seen>()
        val recording = Convolution { ctx, kernel, x, stride, padding ->
            val s = Seen(kernel, x.shape(), stride, padding)
            seen.getOrPut(s.key) { s }.count++
            Im2colConvolution.build(ctx, kernel, x, stride, padding)
        }
        CompiledGraph.measure(ggml, device.bufferType(), convolution = recording) { g ->
            SdVaeDecoder.build(g.nn, weights, g.input("z", GgmlType.F32, latent.toLong(), latent.toLong(), 4, 1))
        }
        return seen.values.toList()
    }

    private fun conv(ggml: Ggml, device: Device, backend: Backend, latent: Int, c: Seen, paths: List<Convolution>): Timing {
        val x = random(c.input.fold(1L) { a, b -> a * b }.toInt(), c.key.hashCode().toLong())
        val timed = abba(paths) { path ->
            CompiledGraph(ggml, device.bufferType(), convolution = path) { g -> path.build(g.nn.ctx, c.kernel, input(g, c), c.stride, c.padding) }.use { graph ->
                graph.input("x").setFloats(x)
                val start = System.nanoTime()
                graph.run(backend)
                (System.nanoTime() - start) / 1e9
            }
        }
        val bytes = paths.map { path -> CompiledGraph.measure(ggml, device.bufferType()) { g -> path.build(g.nn.ctx, c.kernel, input(g, c), c.stride, c.padding) } }
        val k = c.kernel.ne(0)
        val what = "${k}×$k ${c.kernel.ne(2)}→${c.kernel.ne(3)} at ${c.input[0]}²" + if (c.stride != 1) " stride ${c.stride}" else ""
        return Timing(what, latent, c.count, timed[0], timed[1], bytes[0], bytes[1])
    }

    private fun input(g: CompiledGraph.Builder, c: Seen): Tensor = g.input("x", GgmlType.F32, *c.input)

    /** Each path's mean time over runs in the order A B B A (two paths). */
    private fun abba(paths: List<Convolution>, time: (Convolution) -> Double): List<Double> {
        val order = paths + paths.reversed()
        val seconds = order.map { it to time(it) }
        return paths.map { p -> seconds.filter { it.first === p }.map { it.second }.average() }
    }

    private fun random(n: Int, seed: Long): FloatArray = Random(seed).let { r -> FloatArray(n) { r.nextGaussian().toFloat() } }

    private fun line(t: Timing) = String.format(java.util.Locale.ROOT, "%s (%d² latent, ×%d): im2col %.3f s, direct %.3f s",
        t.what, t.latent, t.count, t.im2colSeconds, t.directSeconds)
}
