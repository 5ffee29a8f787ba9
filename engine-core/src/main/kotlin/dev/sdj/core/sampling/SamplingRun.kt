package dev.sdj.core.sampling

/** Checks and bookkeeping shared by the samplers, so each file holds only its update rule. */
internal class SamplingRun(x0: FloatArray, val sigmas: FloatArray, private val denoiser: Denoiser,
                           private val onStep: (Int, Int) -> Boolean) {
    val steps: Int = sigmas.size - 1
    val x: FloatArray = x0.copyOf()

    init {
        require(sigmas.isNotEmpty()) { "sigmas must hold at least the starting noise level" }
        for (i in 0 until steps) {
            require(sigmas[i] > 0f && sigmas[i].isFinite()) { "sigma $i must be positive and finite: ${sigmas[i]}" }
        }
        require(sigmas[steps] >= 0f && sigmas[steps].isFinite()) { "the last sigma must be non-negative and finite: ${sigmas[steps]}" }
        // Rising noise has no meaning here (the ancestral split would take a negative root), and a
        // repeated level would divide DPM++ 2M's step ratio by zero.
        for (i in 0 until steps) require(sigmas[i + 1] < sigmas[i]) { "sigmas must decrease: ${sigmas[i]} then ${sigmas[i + 1]}" }
    }

    /** The model's denoised latent at step [i], checked for size. */
    fun denoised(i: Int): FloatArray {
        val d = denoiser.denoise(x, sigmas[i])
        check(d.size == x.size) { "denoiser returned ${d.size} values for a latent of ${x.size}" }
        return d
    }

    /** Reports step [i] done; throws [CancelledException] when the listener says stop. */
    fun completed(i: Int) {
        if (!onStep(i + 1, steps)) throw CancelledException(i + 1, steps)
    }
}
