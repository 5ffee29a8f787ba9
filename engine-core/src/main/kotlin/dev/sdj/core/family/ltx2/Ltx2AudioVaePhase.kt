package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * LTX-2's audio decoding phase: the audio VAE turns the denoised audio latent into a log-mel spectrogram ([Ltx2Mel])
 * in one graph at the request's audio length, as stable-diffusion.cpp does (its buffer grows linearly with the clip).
 *
 * @param denoisingPhase the phase whose result is the denoised [Ltx2AudioVideo]
 */
class Ltx2AudioVaePhase(private val denoisingPhase: Int) : Phase {
    override val label = Ltx2AudioDecoding.PHASE
    override val components = listOf(ComponentKind.AUDIO_VAE)
    override val peakLever = "--on-cpu audio_vae would keep it off the device"

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
        val w = weights(ComponentKind.AUDIO_VAE)
        val length = Ltx2VideoShape.of(request).audioLength
        return listOf(PhaseGraph(Ltx2AudioDecoding.key(length), Ltx2AudioVae(Ltx2AudioVaeDimensions.of(w)).graph(w, length)))
    }

    override fun run(run: PhaseRun): Any {
        val w = run.weights(ComponentKind.AUDIO_VAE)
        val latent = (run.earlier[denoisingPhase] as Ltx2AudioVideo).audio
        run.progress.onProgress(label, 0, 1)
        val mel = Ltx2AudioDecoding(Ltx2AudioVae(Ltx2AudioVaeDimensions.of(w)), w).decode(latent, Ltx2VideoShape.of(run.request).audioLength, run.session)
        run.progress.onProgress(label, 1, 1)
        return mel
    }
}
