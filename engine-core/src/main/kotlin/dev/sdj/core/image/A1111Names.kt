package dev.sdj.core.image

/** The engine's sampler, schedule and noise-generator names as AUTOMATIC1111 writes them in its infotext. */
object A1111Names {
    private val SAMPLERS = mapOf("euler" to "Euler", "euler_a" to "Euler a", "dpm++2m" to "DPM++ 2M")

    fun sampler(name: String): String = SAMPLERS[name] ?: name

    /** A1111 leaves out "Automatic", the model's own spacing, which is sdj's discrete. */
    fun scheduleType(name: String): String? = if (name == "karras") "Karras" else null

    /** A1111 leaves out its default "GPU" source, which sdj's cuda reproduces; sdj's cpu is A1111's "CPU". */
    fun rng(name: String): String? = if (name == "cpu") "CPU" else null
}
