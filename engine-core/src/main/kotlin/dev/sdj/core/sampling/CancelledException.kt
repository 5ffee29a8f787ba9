package dev.sdj.core.sampling

import java.util.concurrent.CancellationException

/**
 * Thrown by a sampler when its progress callback asks to stop; no partial latent is returned.
 * A [CancellationException], so a coroutine running the sampler ends as cancelled, not failed.
 */
class CancelledException(val completedSteps: Int, val totalSteps: Int) :
    CancellationException("sampling cancelled after $completedSteps of $totalSteps steps")
