package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights
import dev.sdj.core.model.Component

/**
 * The sizes of LTX-2's audio-video DiT, read from its weights (LTX-2.3: video 4096 wide in 32 heads of 128, audio 2048
 * wide in 32 heads of 64, 48 blocks, contexts 4096 and 2048 wide, feed-forwards ×4, cross-attention AdaLN and gated
 * attention). Only the latent layout is fixed ([Ltx2DitArchitecture]).
 *
 * @param videoWidth the video stream: patchify_proj's outputs
 * @param videoHeads heads of video self- and text attention: attn1.to_gate_logits' outputs (ungated: sd.cpp's 32)
 * @param audioWidth the audio stream: audio_patchify_proj's outputs
 * @param audioHeads heads of the audio attentions and of both cross-modal ones (sd.cpp gives those the audio layout)
 * @param blocks transformer_blocks.N present
 * @param videoContext, audioContext the text contexts' widths: attn2.to_k's and audio_attn2.to_k's inputs
 * @param videoFeedForward, audioFeedForward ff.net.0.proj's and audio_ff.net.0.proj's outputs
 * @param crossAttentionAdaln whether the blocks modulate text attention (9-row scale_shift_table, prompt tables,
 *   prompt_adaln_single), as LTX-2.3 does; LTX-2.0's blocks have 6 rows
 * @param gated whether the attentions have to_gate_logits
 */
data class Ltx2DitDimensions(
    val videoWidth: Long,
    val videoHeads: Int,
    val audioWidth: Long,
    val audioHeads: Int,
    val blocks: Int,
    val videoContext: Long,
    val audioContext: Long,
    val videoFeedForward: Long,
    val audioFeedForward: Long,
    val crossAttentionAdaln: Boolean,
    val gated: Boolean,
) {
    init {
        for ((what, width, heads) in listOf(Triple("video", videoWidth, videoHeads), Triple("audio", audioWidth, audioHeads))) {
            require(heads > 0 && width % heads == 0L && (width / heads) % 2 == 0L) { "$heads heads do not split the $what width $width into even heads" }
        }
        require(blocks > 0) { "the DiT has no transformer_blocks" }
        // the modulated context is shifted and scaled by vectors of the stream's width
        require(!crossAttentionAdaln || (videoContext == videoWidth && audioContext == audioWidth)) {
            "cross-attention AdaLN needs contexts as wide as their streams: video $videoContext for $videoWidth, audio $audioContext for $audioWidth"
        }
    }

    val videoHeadDim: Long get() = videoWidth / videoHeads
    val audioHeadDim: Long get() = audioWidth / audioHeads

    /** Rows of each block's scale_shift_table: shift, scale, gate of self-attention and feed-forward, then of text attention. */
    val modulationRows: Int get() = if (crossAttentionAdaln) 9 else 6

    /** The width of one prompt's context from [Ltx2Conditioning]: video then audio. */
    val contextWidth: Long get() = videoContext + audioContext

    companion object {
        /** The DiT's weights under [w], which may still carry the checkpoint's `model.diffusion_model.` prefix. */
        fun root(w: Weights): Weights = if (w.has("$CHECKPOINT_PREFIX.patchify_proj.weight")) w.at(CHECKPOINT_PREFIX) else w

        private const val CHECKPOINT_PREFIX = "model.diffusion_model"

        fun of(weights: Weights): Ltx2DitDimensions {
            val w = root(weights)
            return of { name -> if (w.has(name)) w.get(name).shape().toList() else null }
        }

        /** The dimensions of the DiT whose tensors [shape] gives (ggml order, bare names; null for an absent one). */
        fun of(component: Component): Ltx2DitDimensions = of { name -> component.tensors[name]?.shape }

        /**
         * The dimensions from the tensors' ggml shapes, [shape] null for a tensor that does not exist.
         * @throws NoSuchElementException naming a tensor the dimensions need that is absent
         */
        fun of(shape: (String) -> List<Long>?): Ltx2DitDimensions {
            val block = "transformer_blocks.0"
            fun has(name: String) = shape(name) != null
            fun dims(name: String) = shape("$name.weight") ?: throw NoSuchElementException("no weight '$name.weight'")
            fun rows(name: String) = dims(name)[1]
            fun inputs(name: String) = dims(name)[0]
            val gated = has("$block.attn1.to_gate_logits.weight")
            val videoWidth = rows("patchify_proj")
            val audioWidth = rows("audio_patchify_proj")
            fun heads(attention: String, width: Long): Int = when {
                gated -> rows("$block.$attention.to_gate_logits").toInt()
                width % Ltx2DitArchitecture.UNGATED_HEADS == 0L -> Ltx2DitArchitecture.UNGATED_HEADS
                else -> throw IllegalArgumentException("ungated attention $width wide: no head count in the weights, and ${Ltx2DitArchitecture.UNGATED_HEADS} do not divide it")
            }
            for ((name, features) in listOf("patchify_proj" to Ltx2DitArchitecture.LATENT_CHANNELS,
                "audio_patchify_proj" to Ltx2DitArchitecture.AUDIO_CHANNELS * Ltx2DitArchitecture.AUDIO_BINS)) {
                require(inputs(name) == features && rows(name.replace("patchify_proj", "proj_out")) == features) {
                    "$name takes ${inputs(name)} features, the LTX-2 latent has $features"
                }
            }
            val audioHeads = heads("audio_attn1", audioWidth)
            if (gated) {
                for (cross in listOf("audio_to_video_attn", "video_to_audio_attn")) {
                    require(rows("$block.$cross.to_gate_logits").toInt() == audioHeads) { "$cross has ${rows("$block.$cross.to_gate_logits")} heads, the audio attention $audioHeads" }
                }
            }
            return Ltx2DitDimensions(
                videoWidth = videoWidth,
                videoHeads = heads("attn1", videoWidth),
                audioWidth = audioWidth,
                audioHeads = audioHeads,
                blocks = generateSequence(0) { it + 1 }.takeWhile { has("transformer_blocks.$it.attn1.to_q.weight") }.count(),
                videoContext = inputs("$block.attn2.to_k"),
                audioContext = inputs("$block.audio_attn2.to_k"),
                videoFeedForward = rows("$block.ff.net.0.proj"),
                audioFeedForward = rows("$block.audio_ff.net.0.proj"),
                crossAttentionAdaln = has("$block.prompt_scale_shift_table"),
                gated = gated,
            )
        }

        /**
         * A tiny DiT for tests, chained to [Ltx2TextShapes.TINY]'s contexts (64 + 32): video 64 wide in 4 heads of 16
         * (the 3-D RoPE pads 2 of its 32 frequencies, as LTX-2.3's pads 2 of 2048), audio 32 wide in 4 heads of 8, 2
         * blocks, LTX-2.3's structure.
         */
        val TINY = Ltx2DitDimensions(videoWidth = 64, videoHeads = 4, audioWidth = 32, audioHeads = 4, blocks = 2, videoContext = 64,
            audioContext = 32, videoFeedForward = 256, audioFeedForward = 128, crossAttentionAdaln = true, gated = true)

        /** LTX-2.3 (22B): video 4096 = 32 × 128, audio 2048 = 32 × 64, 48 blocks, feed-forwards ×4. */
        val LTX_2_3 = Ltx2DitDimensions(videoWidth = 4096, videoHeads = 32, audioWidth = 2048, audioHeads = 32, blocks = 48, videoContext = 4096,
            audioContext = 2048, videoFeedForward = 16384, audioFeedForward = 8192, crossAttentionAdaln = true, gated = true)
    }
}
