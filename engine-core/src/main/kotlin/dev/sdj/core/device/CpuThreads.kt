package dev.sdj.core.device

/**
 * How many worker threads ggml's CPU backend gets. More threads than processors only makes them wait for each other
 * at every op's barrier: 8 threads on 2 cores ran 38 times slower, 64 never finished.
 */
object CpuThreads {
    /** The processors this JVM may use (a container's CPU quota included). */
    @JvmStatic
    fun available(): Int = Runtime.getRuntime().availableProcessors()

    /** [requested] capped at [available]; null means one per physical core. */
    @JvmStatic
    @JvmOverloads
    fun effective(requested: Int?, available: Int = available()): Int =
        requested?.coerceAtMost(available) ?: PhysicalCores.count()
}
