package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import java.util.concurrent.ThreadLocalRandom

/**
 * The seeds of a batch, as stable-diffusion.cpp gives them: image i takes the first seed + i, and a negative seed asks
 * for a random first seed, drawn once per batch from 0 to 2³¹ − 1 (the range of the C library's rand() that sd.cpp
 * uses), so that every image's parameters name a seed that reproduces it.
 */
internal class BatchSeeds private constructor(val first: Long) {
    fun seed(index: Int): Long = first + index

    companion object {
        fun of(request: GenerationRequest): BatchSeeds =
            BatchSeeds(if (request.seed() >= 0) request.seed() else ThreadLocalRandom.current().nextLong(1L shl 31))
    }
}
