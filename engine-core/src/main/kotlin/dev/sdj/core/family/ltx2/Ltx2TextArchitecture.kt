package dev.sdj.core.family.ltx2

/**
 * Constants of LTX-2.3's text path (feature extractor and embedding connectors) that its weights do not carry, with
 * where they come from. stable-diffusion.cpp (model/diffusion/ltxv.hpp, LTXAV) is the implementation the outputs are
 * compared against; Lightricks' ltx_core (text_encoders/gemma: feature_extractor.py, embeddings_connector.py) is the
 * original it follows.
 *
 * Tensor names are those of the text-connectors component ([Ltx2Weights] strips `model.diffusion_model.` from the
 * connectors): the aggregate projections sit at the checkpoint's top level, the connectors inside the DiT's prefix.
 */
object Ltx2TextArchitecture {
    /** The video feature projection (Linear with bias, [layers·hidden] → 4096 in LTX-2.3). */
    const val VIDEO_AGGREGATE = "text_embedding_projection.video_aggregate_embed"

    /** The audio feature projection (Linear with bias, [layers·hidden] → 2048). */
    const val AUDIO_AGGREGATE = "text_embedding_projection.audio_aggregate_embed"

    const val VIDEO_CONNECTOR = "video_embeddings_connector"
    const val AUDIO_CONNECTOR = "audio_embeddings_connector"

    /** ltx_core's per-token RMS normalisation of every hidden state: rsqrt(mean(x²) + 1e-6), no learned weight. */
    const val FEATURE_EPS = 1e-6f

    /** The parameter-free RMS norms before attention, before the feed-forward, and after the last block (sd.cpp 1e-6). */
    const val BLOCK_EPS = 1e-6f

    /** q_norm and k_norm: RMSNorm over the whole attention width with a learned weight, eps 1e-5 (sd.cpp CrossAttention). */
    const val QK_EPS = 1e-5f

    /** Registers fill the sequence to at least this many tokens (sd.cpp append_registers: max(1024, T)), then up to a multiple of the register count. */
    const val MIN_SEQUENCE = 1024

    /** The connectors' 1-D RoPE: θ = 10 000 and positions divided by 4096 (sd.cpp build_1d_rope_matrix(…, 10000, 4096, double)). */
    const val ROPE_THETA = 10_000.0
    const val ROPE_MAX_POSITION = 4096.0

    /** Gated attention multiplies each head's output by 2·sigmoid(to_gate_logits(x)) (sd.cpp CrossAttention). */
    const val GATE_SCALE = 2f

    /** Heads of an ungated connector, whose weights do not say (sd.cpp's fallback: 32 when the width divides). */
    const val UNGATED_HEADS = 32
}
