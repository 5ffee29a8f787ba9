package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.DecodedSound
import dev.sdj.core.pipeline.DecodedVideo
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * LTX-2's last phase: the vocoder turns the audio decoder's log-mel into the clip's waveform (16 kHz, or 48 kHz through
 * the bandwidth extension when the vocoder has one: [Ltx2Vocoding.sampleRate]), in windows of a
 * few seconds ([Ltx2VocoderChunking]) so that its buffer stays flat however long the clip, and gives the decoded frames
 * their sound.
 *
 * @param melPhase the phase whose result is the [Ltx2Mel]
 * @param videoPhase the phase whose result is the [DecodedVideo]
 * @param melFrames the audio decoder's mel frames for an audio latent of so many frames
 */
class Ltx2VocoderPhase(private val melPhase: Int, private val videoPhase: Int, private val melFrames: (Int) -> Int) : Phase {
    override val label = Ltx2Vocoding.PHASE
    override val components = listOf(ComponentKind.VOCODER)
    override val peakLever = "--on-cpu vocoder would keep it off the device"

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
        val vocoding = Ltx2Vocoding(weights(ComponentKind.VOCODER))
        val frames = melFrames(Ltx2VideoShape.of(request).audioLength)
        return listOf(PhaseGraph(vocoding.key(frames), vocoding.graph(frames)))
    }

    override fun run(run: PhaseRun): Any {
        val mel = run.earlier[melPhase] as Ltx2Mel
        val video = run.earlier[videoPhase] as DecodedVideo
        val wave = Ltx2Vocoding(run.weights(ComponentKind.VOCODER)).decode(mel.values, mel.frames, run.session, run.progress, run.cancel)
        return video.withSound(DecodedSound(wave.samples, wave.channels, wave.sampleRate))
    }
}
