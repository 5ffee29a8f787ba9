package dev.sdj.core.scheduler

import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.ParamLayout
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.UploadType
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType

/**
 * What an SD text-to-image run costs on a device, before anything is loaded: each component's parameter bytes as
 * the engine lays them out, and each phase's compute buffer as ggml's graph allocator measures it on the real graph
 * at the requested size.
 */
object SdCosts {

    fun measure(ggml: Ggml, model: AssembledModel, family: SdFamily, device: Device, width: Int, height: Int): Costs {
        val buft = device.bufferType()
        val bf16 = UploadType.bf16Supported(ggml, device)
        val specs = PIPELINE.associateWith { ParamSpecs.of(model.components.getValue(it), bf16).specs }
        val params = specs.mapValues { (_, s) -> ParamLayout.bytesNeeded(ggml, buft, s) }
        val w = (width / 8).toLong()
        val h = (height / 8).toLong()
        val compute = LinkedHashMap<String, Long>()
        withPlaceholderWeights(ggml, specs.getValue(ComponentKind.TEXT_ENCODER)) { te ->
            val hidden = te.get("text_model.final_layer_norm.weight").ne(0)
            compute["text encoder"] = CompiledGraph.measure(ggml, buft) { g ->
                family.textEncoder.build(g.nn, te.at("text_model"), g.input("tokens", GgmlType.I32, 77, 1))
            }
            withPlaceholderWeights(ggml, specs.getValue(ComponentKind.DIFFUSION_MODEL)) { unet ->
                compute["unet"] = CompiledGraph.measure(ggml, buft) { g ->
                    family.unet.build(g.nn, unet, g.input("x", GgmlType.F32, w, h, 4, 1), g.input("t", GgmlType.F32, 1),
                        g.input("context", GgmlType.F32, hidden, 77, 1))
                }
            }
        }
        withPlaceholderWeights(ggml, specs.getValue(ComponentKind.VAE)) { vae ->
            compute["vae decoder"] = CompiledGraph.measure(ggml, buft) { g -> SdVaeDecoder.build(g.nn, vae, g.input("z", GgmlType.F32, w, h, 4, 1)) }
        }
        return Costs(params, compute)
    }

    /**
     * Weight tensors that have memory without holding the weights: ggml's allocator only asks whether a tensor has
     * memory, so every tensor shares one host buffer as large as the largest of them. Nothing reads it.
     */
    private fun <T> withPlaceholderWeights(ggml: Ggml, specs: List<ParamSpec>, use: (Weights) -> T): T {
        val cpu = ggml.cpu().bufferType()
        ggml.newContext(specs.size).use { ctx ->
            val tensors = specs.associate { s -> s.name to ctx.newTensor(s.type, *s.shape.toLongArray()) }
            val largest = tensors.values.maxOf { cpu.allocSize(it) }
            cpu.allocate(largest).use { buffer ->
                tensors.values.forEach { buffer.place(it, 0, cpu.alignment()) }
                return use(MapWeights(tensors))
            }
        }
    }

    val PIPELINE = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
}

/** Parameter bytes per component and compute-buffer bytes per phase ("text encoder", "unet", "vae decoder"). */
data class Costs(val params: Map<ComponentKind, Long>, val compute: Map<String, Long>) {
    private fun p(kind: ComponentKind) = params[kind] ?: 0L
    private fun c(phase: String) = compute[phase] ?: 0L

    /** Every component on the device; one phase's compute buffer at a time. */
    val resident: Long get() = params.values.sum() + (compute.values.maxOrNull() ?: 0L)

    /** The text encoder with its compute, or the diffusion model and VAE with the larger of theirs. */
    val sequential: Long
        get() = maxOf(p(ComponentKind.TEXT_ENCODER) + c("text encoder"),
            p(ComponentKind.DIFFUSION_MODEL) + p(ComponentKind.VAE) + maxOf(c("unet"), c("vae decoder")))

    fun peak(placement: String): Long = if (placement == "sequential") sequential else resident

    /** The costs left on the device when [kinds] run elsewhere (pinned to the CPU). */
    fun without(kinds: Set<ComponentKind>): Costs = Costs(params - kinds, compute - kinds.mapNotNull { PHASE[it] }.toSet())

    companion object {
        val PHASE = mapOf(ComponentKind.TEXT_ENCODER to "text encoder", ComponentKind.DIFFUSION_MODEL to "unet", ComponentKind.VAE to "vae decoder")
    }
}
