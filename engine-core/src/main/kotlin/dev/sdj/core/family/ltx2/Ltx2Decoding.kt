package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.LatentTiling
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.DecodedVideo
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * LTX-2's decoding phase: the video VAE over the denoised video latent, whole, or — when the request tiles
 * (`--vae-tile`, or the planner for it when the whole decode fits no placement: [PLANNER_TILE]) — in sd.cpp's
 * temporal tiles of 4 latent frames overlapping by one and in spatial tiles of the request's size overlapping by a
 * quarter, each tile shape one graph the planner measures. Tiling changes pixels.
 *
 * @param denoisingPhase the phase whose result is the denoised [Ltx2AudioVideo]
 */
class Ltx2Decoding(private val denoisingPhase: Int) : Phase {
    override val label = Ltx2VideoDecoding.PHASE
    override val components = listOf(ComponentKind.VAE)
    override val peakLever = "tiled decoding (--vae-tile N: temporal tiles of 4 latent frames, spatial tiles of N pixels; " +
        "smaller tiles need less) or --on-cpu vae would lower it"

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
        val w = weights(ComponentKind.VAE)
        val vae = Ltx2VideoVae(Ltx2VaeDimensions.of(w))
        val shape = Ltx2VideoShape.of(request)
        return tiling(request).shapes(shape.latentWidth, shape.latentHeight, shape.latentFrames).map { PhaseGraph(it.key, vae.tileGraph(w, it)) }
    }

    override fun run(run: PhaseRun): Any {
        val shape = Ltx2VideoShape.of(run.request)
        val latent = (run.earlier[denoisingPhase] as Ltx2AudioVideo).video
        val w = run.weights(ComponentKind.VAE)
        val vae = Ltx2VideoVae(Ltx2VaeDimensions.of(w))
        val frames = Ltx2VideoDecoding(vae, w, tiling(run.request))
            .decode(latent, shape.latentWidth, shape.latentHeight, shape.latentFrames, run.session, run.progress, run.cancel)
        return DecodedVideo(frames.rgb, frames.width, frames.height, frames.count, shape.fps)
    }

    private fun tiling(request: GenerationRequest): Ltx2VaeTiling {
        if (request.vaeTileSize() <= 0) return Ltx2VaeTiling()
        val space = LatentTiling.ofPixels(request.vaeTileSize(), Ltx2VideoShape.SPATIAL_SCALE)
        return Ltx2VaeTiling.SD_CPP_TEMPORAL.copy(tile = maxOf(space.tile, MIN_TILE), tileOverlap = space.overlap)
    }

    companion object {
        /** The decoder reflects its borders, which needs two latent cells. */
        private const val MIN_TILE = 2

        /** The tile the planner decodes in when the whole decode fits nowhere: sd.cpp's `--vae-tiling` size. */
        const val PLANNER_TILE = 256
    }
}
