package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.Weights
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.ggml.Tensor

/**
 * LTX-2's denoising phase: the audio-video DiT ([Ltx2Dit]) run by [Ltx2Diffusion] over the request's packed latent,
 * one graph for every step and prompt (the RoPE tables set once: they depend only on the clip's size and fps). Its
 * result is the denoised [Ltx2AudioVideo]; the audio latent is denoised with the video, as the DiT is joint.
 *
 * A request with an init image starts from its encoded first frame ([Ltx2ImageCondition]), and its graph takes each
 * video token's timestep; text-to-video's graph is the one it always was.
 *
 * @param blocks the DiT's block count, which sizes its graph
 * @param contextLength the conditioning's token count for a request (every prompt's, equal)
 * @param conditioningPhase the phase whose result is the [Ltx2Conditioning]
 * @param imagePhase the phase whose result is the init image's latent frame (null when the request has none)
 */
class Ltx2Denoising(private val blocks: Int, private val contextLength: (GenerationRequest) -> Int, private val conditioningPhase: Int,
                    private val imagePhase: Int) : Phase {
    override val label = "denoising"
    override val components = listOf(ComponentKind.DIFFUSION_MODEL)

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> =
        listOf(PhaseGraph(GRAPH, graph(weights(ComponentKind.DIFFUSION_MODEL), Ltx2VideoShape.of(request), contextLength(request), tokenTimesteps(request)),
            Ltx2Dit.nodes(blocks)))

    private fun tokenTimesteps(request: GenerationRequest): Boolean = request.initImage().isPresent

    override fun run(run: PhaseRun): Any {
        val shape = Ltx2VideoShape.of(run.request)
        val conditioning = run.earlier[conditioningPhase] as Ltx2Conditioning
        val w = run.weights(ComponentKind.DIFFUSION_MODEL)
        val graph = run.session.compile(GRAPH, Ltx2Dit.nodes(blocks), graph(w, shape, conditioning.length, tokenTimesteps(run.request)))
        val dimensions = Ltx2DitDimensions.of(Ltx2DitDimensions.root(w))
        Ltx2Dit.ropeTables(dimensions, shape.latentFrames, shape.latentHeight, shape.latentWidth, shape.audioLength, shape.fps.toFloat())
            .forEach { (name, table) -> graph.input(name).setFloats(table) }
        val model = Ltx2Velocity { video, audio, timestep, videoTimesteps, prompt ->
            graph.input(Ltx2Dit.VIDEO).setFloats(video)
            graph.input(Ltx2Dit.AUDIO).setFloats(audio)
            graph.input(Ltx2Dit.SIGMA).setFloats(floatArrayOf(timestep))
            videoTimesteps?.let { graph.input(Ltx2Dit.VIDEO_SIGMA).setFloats(it) }
            graph.input(Ltx2Dit.CONTEXT).setFloats(conditioning.contexts[prompt])
            val velocity = graph.run(run.session.backend)
            Ltx2AudioVideo(velocity.copyOfRange(0, shape.videoValues), velocity.copyOfRange(shape.videoValues, velocity.size))
        }
        val diffusion = Ltx2Diffusion(shape)
        val image = (run.earlier[imagePhase] as FloatArray?)?.let { Ltx2ImageCondition(diffusion.latents, it, run.request.strength()) }
        return diffusion.denoise(run.request, model, run.progress, run.cancel, image)
    }

    private fun graph(w: Weights, shape: Ltx2VideoShape, contextTokens: Int, tokenTimesteps: Boolean): (CompiledGraph.Builder) -> Tensor = { g ->
        Ltx2Dit.build(g, w, shape.latentFrames.toLong(), shape.latentHeight.toLong(), shape.latentWidth.toLong(), shape.audioLength.toLong(),
            contextTokens.toLong(), tokenTimesteps)
    }

    companion object {
        val GRAPH = GraphKey("ltx2 dit")
    }
}
