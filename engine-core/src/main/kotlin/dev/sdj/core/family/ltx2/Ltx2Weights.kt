package dev.sdj.core.family.ltx2

import dev.sdj.core.family.PrefixWeights
import dev.sdj.core.model.ComponentKind

/**
 * LTX-2: an audio-video DiT whose blocks carry a video stream, an audio stream and cross-modal attention between
 * them. LTX-Video 0.9 shares the video stream's names (patchify_proj, adaln_single, transformer_blocks), so only the
 * audio and cross-modal tensors identify LTX-2 — in Lightricks' original names and in diffusers' renamed ones.
 * The Gemma text encoder is never inside the checkpoint; it comes as its own input. Both embedding connectors
 * (video and audio) sit in the DiT; a file in bare names (the DiT GGUFs) must place the audio one there too.
 * The `*_embeddings_connectors.safetensors` downloads hold only the four text_embedding_projection tensors.
 */
object Ltx2Weights {
    private val MARKERS = Regex(
        """(^|\.)(audio_patchify_proj\.|audio_adaln_single\.|av_ca_|audio_proj_in\.|av_cross_attn_|video_embeddings_connector\.|audio_embeddings_connector\.)""" +
            """|\.(audio_attn1|audio_to_video_attn|video_to_audio_attn)\.""")

    fun claims(names: Collection<String>): Boolean = names.any { MARKERS.containsMatchIn(it) }

    val weights = PrefixWeights(
        prefixes = listOf(
            "model.diffusion_model." to ComponentKind.DIFFUSION_MODEL,
            "audio_vae." to ComponentKind.AUDIO_VAE,
            "vocoder." to ComponentKind.VOCODER,
            "vae." to ComponentKind.VAE,
        ),
        bareComponent = { name ->
            // The text-embedding projection sits outside the DiT prefix but is applied with the DiT's connectors.
            if (name.startsWith("transformer_blocks.") || name.startsWith("text_embedding_projection.") || MARKERS.containsMatchIn(name))
                ComponentKind.DIFFUSION_MODEL else null
        },
    )
}
