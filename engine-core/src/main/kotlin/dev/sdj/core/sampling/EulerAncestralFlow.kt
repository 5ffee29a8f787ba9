package dev.sdj.core.sampling

import kotlin.math.sqrt

/**
 * Euler ancestral (eta 1) for flow-matching models, as stable-diffusion.cpp runs "euler_a" when its denoiser is a flow
 * one. k-diffusion's ancestral split assumes x = data + σ·noise; a flow latent (1 − σ)·data + σ·noise also shrinks the
 * data, so each step instead goes down to σ_down = σ_next²/σ by interpolating toward the prediction, rescales the data
 * part from (1 − σ_down) to (1 − σ_next) by alpha, and adds noise of size σ_up so the noise totals σ_next again:
 * alpha²·σ_down² + σ_up² = σ_next². Noise is drawn only when σ_up > 0 (not on the step to 0), as sd.cpp does, so a
 * seed replays its image. Arithmetic is in float, in sd.cpp's order.
 */
object EulerAncestralFlow : Sampler {
    override val id: String = EulerAncestral.id

    override fun sample(x0: FloatArray, sigmas: FloatArray, denoise: Denoiser, rng: NoiseRng,
                        onStep: (step: Int, total: Int) -> Boolean): FloatArray {
        val run = SamplingRun(x0, sigmas, denoise, onStep)
        val x = run.x
        for (i in 0 until run.steps) {
            val d = run.denoised(i)
            val from = sigmas[i]
            val step = Step.of(from, sigmas[i + 1])
            val ratio = step.down / from
            for (j in x.indices) x[j] = ratio * x[j] + (1f - ratio) * d[j]
            if (step.up > 0f) {
                val noise = rng.randn(x.size)
                for (j in x.indices) x[j] = step.alpha * x[j] + noise[j] * step.up
            }
            run.completed(i)
        }
        return x
    }

    /** One step's split: the deterministic target [down], the data rescale [alpha] and the fresh noise [up]. */
    internal class Step(val down: Float, val up: Float, val alpha: Float) {
        companion object {
            fun of(from: Float, to: Float): Step {
                if (to <= 0f) return Step(to, 0f, 1f)
                // With eta 1 sd.cpp's σ_next·(1 + (σ_next/σ − 1)·eta) is σ_next²/σ, clamped into 0..σ_next.
                val down = (to * (1f + (to / from - 1f))).coerceIn(0f, to)
                val keep = 1f - down
                // Only levels above 1 get here, which flow schedules never give; sd.cpp then steps plainly.
                if (keep <= 0f) return Step(to, 0f, 1f)
                val alpha = (1f - to) / keep
                val term = (down / to * alpha).coerceIn(-1f, 1f)
                return Step(down, to * sqrt(maxOf(1f - term * term, 0f)), alpha)
            }
        }
    }
}
