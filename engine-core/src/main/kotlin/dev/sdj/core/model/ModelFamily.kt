package dev.sdj.core.model

/** Model families the engine recognises from tensor names. */
enum class ModelFamily(val label: String) {
    SD1("Stable Diffusion 1.x"),
    SD2("Stable Diffusion 2.x"),
    SDXL("Stable Diffusion XL"),
    FLUX("Flux.1-class DiT"),
    LTX2("LTX-2 (audio-video DiT)"),
}
