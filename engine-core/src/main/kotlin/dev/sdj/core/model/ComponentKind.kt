package dev.sdj.core.model

/**
 * The parts a diffusion model is made of; each is loaded, placed and freed as a unit (or per block). [id] is how
 * requests name it (`--on-cpu text_encoder_2`).
 */
enum class ComponentKind(val label: String, val id: String) {
    TEXT_ENCODER("text encoder", "text_encoder"),
    TEXT_ENCODER_2("text encoder 2", "text_encoder_2"),
    TEXT_ENCODER_3("text encoder 3", "text_encoder_3"),

    /** LTX-2's text-embedding projections and embedding connectors: they turn Gemma's hidden states into the DiT's contexts. */
    TEXT_CONNECTORS("text connectors", "text_connectors"),
    DIFFUSION_MODEL("diffusion model", "diffusion_model"),
    VAE("VAE", "vae"),

    /**
     * A video VAE's encoder half, which LTX-2 keeps apart from [VAE] (its decoder): text-to-video never encodes, so no
     * phase reads it and it is neither loaded nor planned; a phase that encodes (image-to-video) will name it.
     */
    VAE_ENCODER("VAE encoder", "vae_encoder"),
    AUDIO_VAE("audio VAE", "audio_vae"),
    VOCODER("vocoder", "vocoder"),
    ;

    val isTextEncoder: Boolean get() = this == TEXT_ENCODER || this == TEXT_ENCODER_2 || this == TEXT_ENCODER_3
}
