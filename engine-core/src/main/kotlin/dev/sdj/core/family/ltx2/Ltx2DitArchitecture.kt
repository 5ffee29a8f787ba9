package dev.sdj.core.family.ltx2

/**
 * Constants of LTX-2.3's audio-video DiT that its weights do not carry, as stable-diffusion.cpp's LTXAV
 * (model/diffusion/ltxv.hpp: LTXAVParams, BasicAVTransformerBlock, the RoPE builders) uses them; Lightricks' ltx_core
 * (model/transformer) is the original it follows.
 */
object Ltx2DitArchitecture {
    /** The video VAE's latent channels, the video patchify's inputs (1×1×1 patches). */
    const val LATENT_CHANNELS = 128L

    /** The audio latent: 8 channels × 16 mel bins per time step, patchified to 128 features (bin fastest). */
    const val AUDIO_CHANNELS = 8L
    const val AUDIO_BINS = 16L

    /** The timestep sinusoid's width (the AdaLN embedders' linear_1 inputs); max period 10 000, cosines first. */
    const val TIME_PROJECTION = 256
    const val TIME_MAX_PERIOD = 10000

    /**
     * σ → timestep for the video, audio and prompt AdaLN modules (timestep_scale_multiplier). sd.cpp hands the cross
     * scale/shift modules σ itself and the cross gates σ·(av_ca_timestep_scale_multiplier / timestep_scale_multiplier)
     * = σ·1000/1000, so those see σ unscaled.
     */
    const val TIME_FACTOR = 1000f
    const val CROSS_TIME_FACTOR = 1f

    /** The parameter-free RMS norms in the blocks and the parameter-free LayerNorms before the outputs. */
    const val NORM_EPS = 1e-6f

    /** q_norm and k_norm (RMSNorm over the attention width, learned weight). */
    const val QK_EPS = 1e-5f

    /** Gated attention: each head's output times 2·sigmoid(to_gate_logits(x)). */
    const val GATE_SCALE = 2f

    /** Heads of ungated attention, whose weights do not say (sd.cpp's fallback when the width divides). */
    const val UNGATED_HEADS = 32

    /** The RoPE: θ, and the positions' normalisation per axis (time in seconds, height and width in pixels). */
    const val ROPE_THETA = 10000f
    val VIDEO_MAX_POSITIONS = floatArrayOf(20f, 2048f, 2048f)

    /** Audio and audio-video cross attention: a single time axis, normalised by max(20, 20). */
    const val TIME_MAX_POSITION = 20f

    /** The video VAE's compression: 8 frames, 32×32 pixels per latent cell. */
    const val VAE_TIME_FACTOR = 8
    const val VAE_SPACE_FACTOR = 32

    /** The audio latent's time step: 4 mel frames of 160 samples at 16 kHz (causal, like the video's first frame). */
    const val AUDIO_MEL_PER_LATENT = 4
    const val AUDIO_HOP = 160
    const val AUDIO_SAMPLE_RATE = 16000
}
