package dev.sdj.core.sampling

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.ProgressListener

/**
 * A sampler run as a generation runs it: "denoising" progress before the first step and after each, the request's
 * cancellation checked between steps and reported as the API's [GenerationCancelledException].
 *
 * @param onStep told each completed step, so a denoiser can name the step it fails in
 */
fun Sampler.sampleReporting(x0: FloatArray, sigmas: FloatArray, denoiser: Denoiser, rng: NoiseRng, progress: ProgressListener,
                            cancel: CancellationToken, onStep: (Int) -> Unit = {}): FloatArray {
    progress.onProgress(PHASE, 0, sigmas.size - 1)
    try {
        return sample(x0, sigmas, denoiser, rng) { step, total ->
            onStep(step)
            progress.onProgress(PHASE, step, total)
            !cancel.isCancelled
        }
    } catch (e: CancelledException) {
        throw GenerationCancelledException(e.completedSteps, e.totalSteps)
    }
}

private const val PHASE = "denoising"
