package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.gemma3.Gemma3Component
import dev.sdj.core.family.gemma3.Gemma3Names
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelInput
import dev.sdj.core.model.TensorRef
import dev.sdj.core.model.gguf.GgufFile

/**
 * LTX-2: an audio-video DiT whose blocks carry a video stream, an audio stream and cross-modal attention between
 * them, conditioned by Gemma-3 through LTX-2's text connectors. LTX-Video 0.9 shares the video stream's names
 * (patchify_proj, adaln_single, transformer_blocks), so only the audio, cross-modal and connector tensors identify
 * LTX-2 — in Lightricks' original names and in diffusers' renamed ones.
 *
 * Where the tensors are in the files users download (Lightricks' ltx-2.3 checkpoints, ComfyUI's split files, the DiT
 * GGUFs, stable-diffusion.cpp's LTX-2 guide):
 * - the DiT under `model.diffusion_model.` (bare in the DiT GGUFs);
 * - the text-embedding projections `text_embedding_projection.{video,audio}_aggregate_embed.*` at the checkpoint's top
 *   level, or alone in the `*_embeddings_connectors.safetensors` download;
 * - the two connectors `{video,audio}_embeddings_connector.*` under `model.diffusion_model.` (bare in the DiT GGUFs),
 *   although they condition the text and never run with the DiT's blocks;
 * - Gemma-3 never inside the checkpoint: its own llama.cpp GGUF or Hugging Face safetensors.
 *
 * The projections and connectors become [ComponentKind.TEXT_CONNECTORS] under the names [Ltx2TextContext] reads
 * (without `model.diffusion_model.`); Gemma becomes [ComponentKind.TEXT_ENCODER] under llama.cpp's names
 * ([Gemma3Names]), its vision tower and lm_head ignored. The video VAE's `encoder.*` becomes [ComponentKind.VAE_ENCODER],
 * its decoder and statistics [ComponentKind.VAE]; the encoder gets the statistics too (256 values), which normalise
 * its output, so that encoding an image loads no decoder. The conditioning can run from Gemma and the connectors alone,
 * so a model without the DiT proper is assembled too; what a pipeline needs it checks itself.
 */
object Ltx2Weights {
    private val MARKERS = Regex(
        """(^|\.)(audio_patchify_proj\.|audio_adaln_single\.|av_ca_|audio_proj_in\.|av_cross_attn_|video_embeddings_connector\.|audio_embeddings_connector\.)""" +
            """|\.(audio_attn1|audio_to_video_attn|video_to_audio_attn)\.""" +
            """|^text_embedding_projection\.(video|audio)_aggregate_embed\.""")

    private const val DIT_PREFIX = "model.diffusion_model."
    private val CONNECTOR = Regex("""^(?:model\.diffusion_model\.)?((?:video|audio)_embeddings_connector\..+)$""")
    private const val PROJECTION = "text_embedding_projection."
    private const val BARE_BLOCKS = "transformer_blocks."

    /** The video VAE's encoder (after `vae.`): a component of its own, so that decoding alone does not load it. */
    private const val VAE_ENCODER = "encoder."

    /** The video VAE's latent statistics (after `vae.`), which the encoder and the decoder both read. */
    private const val VAE_STATISTICS = "per_channel_statistics."

    private val PREFIXES = listOf(
        DIT_PREFIX to ComponentKind.DIFFUSION_MODEL,
        "audio_vae." to ComponentKind.AUDIO_VAE,
        "vocoder." to ComponentKind.VOCODER,
        "vae." to ComponentKind.VAE,
    )

    /** llama.cpp's Gemma-3 text-model names (gguf-py's tensor map); a GGUF's other tensors are not the encoder's. */
    private val GEMMA_GGUF = Regex(
        """^(token_embd\.weight|output_norm\.weight|blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|attn_q_norm|attn_k_norm|attn_norm|""" +
            """post_attention_norm|ffn_norm|post_ffw_norm|ffn_gate|ffn_up|ffn_down)\.weight)$""")

    /**
     * diffusers' LTX2TextConnectors names → Lightricks' (the connectors/ folder of a diffusers release): the
     * projections are `{video,audio}_text_proj_in`, the connectors `{video,audio}_connector` with
     * `transformer_blocks` and `norm_q`/`norm_k`.
     */
    private val DIFFUSERS_CONNECTOR_NAMES = listOf(
        Regex("""^(video|audio)_text_proj_in\.""") to "text_embedding_projection.$1_aggregate_embed.",
        Regex("""^(video|audio)_connector\.transformer_blocks\.""") to "$1_embeddings_connector.transformer_1d_blocks.",
        Regex("""^(video|audio)_connector\.""") to "$1_embeddings_connector.",
        Regex("""\.norm_q\.""") to ".q_norm.",
        Regex("""\.norm_k\.""") to ".k_norm.",
    )

    fun claims(inputs: List<ModelInput>): Boolean =
        inputs.any { input -> input.hint == ComponentKind.TEXT_CONNECTORS || input.names.any { MARKERS.containsMatchIn(it) } }

    /** Whether [names] hold a Gemma-3 text model (llama.cpp's names or Hugging Face's), which only LTX-2 takes. */
    fun holdsGemma(names: Collection<String>): Boolean =
        Gemma3Names.EMBEDDING in names && names.any { GEMMA_GGUF.matches(it) && it.startsWith("blk.") } || Gemma3Names.claimsHuggingFace(names)

    /** The components of [inputs], plus the names of tensors that belong to none. */
    fun split(inputs: List<ModelInput>): Pair<Map<ComponentKind, Component>, List<String>> {
        val byKind = LinkedHashMap<ComponentKind, LinkedHashMap<String, TensorRef>>()
        val ignored = ArrayList<String>()
        for (input in inputs) {
            // A DiT in bare names (the DiT GGUFs): its tensors that are nobody else's are the DiT's
            val bareDit = input.hint == null && input.names.any { it.startsWith(BARE_BLOCKS) }
            for ((file, info) in input.tensors) {
                val placed = place(input.hint, info.name) ?: if (bareDit) ComponentKind.DIFFUSION_MODEL to info.name else null
                if (placed == null) {
                    ignored.add(info.name)
                    continue
                }
                val (kind, name) = placed.let { (k, n) -> if (k == ComponentKind.VAE && n.startsWith(VAE_ENCODER)) ComponentKind.VAE_ENCODER to n else k to n }
                if (byKind.getOrPut(kind) { LinkedHashMap() }.put(name, TensorRef(file, info)) != null) {
                    throw ModelFileException(file.path, info.name, "two inputs give the ${kind.label} tensor '$name'")
                }
            }
        }
        byKind[ComponentKind.VAE_ENCODER]?.let { encoder -> byKind[ComponentKind.VAE]?.filterKeys { it.startsWith(VAE_STATISTICS) }?.let(encoder::putAll) }
        val components = byKind.mapValues { (kind, t) ->
            Component(kind, t, when (kind) {
                ComponentKind.DIFFUSION_MODEL -> t.keys.filterTo(HashSet(), Ltx2DitPrecision::keepsF32)
                ComponentKind.VOCODER -> t.keys.filterTo(HashSet(), Ltx2Vocoding::keepsF32)
                else -> emptySet()
            })
        }
        components[ComponentKind.TEXT_ENCODER]?.let(::checkGemma)
        return components to ignored
    }

    private fun place(hint: ComponentKind?, name: String): Pair<ComponentKind, String>? {
        when (hint) {
            null -> Unit
            ComponentKind.TEXT_ENCODER -> return Gemma3Names.canonical(name)?.let { ComponentKind.TEXT_ENCODER to it }
            ComponentKind.TEXT_CONNECTORS -> return ComponentKind.TEXT_CONNECTORS to
                DIFFUSERS_CONNECTOR_NAMES.fold(name) { n, (pattern, replacement) -> pattern.replace(n, replacement) }
            else -> return hint to name
        }
        CONNECTOR.matchEntire(name)?.let { return ComponentKind.TEXT_CONNECTORS to it.groupValues[1] }
        if (name.startsWith(PROJECTION)) return ComponentKind.TEXT_CONNECTORS to name
        PREFIXES.firstOrNull { name.startsWith(it.first) }?.let { (prefix, kind) -> return kind to name.removePrefix(prefix) }
        if (GEMMA_GGUF.matches(name)) return ComponentKind.TEXT_ENCODER to name
        Gemma3Names.canonical(name)?.let { return ComponentKind.TEXT_ENCODER to it }
        if (name.startsWith(BARE_BLOCKS) || MARKERS.containsMatchIn(name)) return ComponentKind.DIFFUSION_MODEL to name
        return null
    }

    /**
     * Gemma must come whole and in one layout: from a GGUF, only Gemma-3's (a Llama GGUF has the same names); its
     * norm weights all in one layout ([Gemma3Component.normWeights]); the embedding, the final norm and every tensor of
     * layers 0 … N−1 present.
     */
    private fun checkGemma(gemma: Component) {
        for (ref in gemma.tensors.values) {
            val file = ref.file as? GgufFile ?: continue
            val architecture = file.values["general.architecture"]?.asString()
            if (architecture != "gemma3") {
                throw ModelFileException(file.path, ref.info.name, "is a GGUF of '${architecture ?: "no stated"}' architecture, " +
                    "not Gemma-3's ('gemma3'); LTX-2 needs Gemma-3 12B as its text encoder")
            }
        }
        Gemma3Component.normWeights(gemma)
        Gemma3Component.requireComplete(gemma)
    }
}
