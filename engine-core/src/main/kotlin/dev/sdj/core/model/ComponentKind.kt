package dev.sdj.core.model

/** The parts a diffusion model is made of; each is loaded, placed and freed as a unit (or per block). */
enum class ComponentKind(val label: String) {
    TEXT_ENCODER("text encoder"),
    TEXT_ENCODER_2("text encoder 2"),
    TEXT_ENCODER_3("text encoder 3"),
    DIFFUSION_MODEL("diffusion model"),
    VAE("VAE"),
    AUDIO_VAE("audio VAE"),
    VOCODER("vocoder"),
}
