package dev.sdj.core.sampling

/** How [DiscreteSchedule.sigmas] spaces the noise levels of a sampling run. */
enum class ScheduleKind {
    /** Evenly spaced timesteps from the last to the first, stable-diffusion.cpp's default. */
    DISCRETE,

    /** Karras et al. (2022) eq. 5 with rho 7: evenly spaced in sigma^(1/rho). */
    KARRAS,
}
