package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor
import kotlin.math.sqrt

/**
 * LTX-2.3's text feature extractor (ltx_core FeatureExtractorV2; stable-diffusion.cpp feature_extractor_normalize_v2
 * and FeatureExtractorV2): from Gemma's stacked hidden states [hidden, T, planes],
 *
 * 1. every (token, plane) row divided by its root mean square over the hidden dimension, rsqrt(mean(x²) + 1e-6), with
 *    no learned weight;
 * 2. each token's planes flattened with the plane index fastest: feature d·planes + l is state l's element d;
 * 3. per modality, times √(out / hidden) and through the aggregate projection (Linear with bias, out = its rows:
 *    4096 for video, 2048 for audio; hidden is Gemma's width, 3840, not the flattened one).
 *
 * Only the prompt's tokens are computed: padding rows are zeroed in ltx_core and then replaced by registers in the
 * connectors, so they never reach the output, and the projection over 1024 padded tokens would cost ~20× a typical
 * prompt's. The prompt is left-padded, so its [valid] tokens are the stack's last ones.
 *
 * The scale is applied to the projection's product rather than its input (W(s·x) = s·(Wx)), one multiply per output
 * instead of per flattened feature; it differs from sd.cpp only by f32 rounding. The products accumulate in f32, as
 * sd.cpp forces for these 188 160-long dot products.
 */
object Ltx2FeatureExtractor {
    /** The normalised, flattened features of the last [valid] tokens: f32 [planes·hidden, valid]. */
    fun features(nn: Nn, stacked: Tensor, valid: Int): Tensor {
        val ctx = nn.ctx
        val hidden = stacked.ne(0)
        val tokens = stacked.ne(1)
        val planes = stacked.ne(2)
        require(valid in 1..tokens) { "$valid prompt tokens in a stack of $tokens" }
        val s = stacked.strides()
        val prompt = ctx.cont(ctx.view3d(stacked, hidden, valid.toLong(), planes, s[1], s[2], (tokens - valid) * s[1]))
        val normed = ctx.rmsNorm(prompt, Ltx2TextArchitecture.FEATURE_EPS)                    // [hidden, valid, planes]
        val planeFastest = ctx.cont(ctx.permute(normed, 1, 2, 0, 3))                            // [planes, hidden, valid]
        return ctx.reshape(planeFastest, planes * hidden, valid.toLong())
    }

    /** One modality's projection of [features] (from [features] over a stack [hidden] wide): f32 [out, valid]. */
    fun project(nn: Nn, w: Weights, features: Tensor, hidden: Long): Tensor {
        val ctx = nn.ctx
        val weight = w.get("weight")
        require(weight.ne(0) == features.ne(0)) { "the projection takes ${weight.ne(0)} features, the stack gives ${features.ne(0)}" }
        val out = weight.ne(1)
        val product = ctx.accumulateInF32(ctx.mulMat(weight, features))
        return ctx.add(ctx.scale(product, sqrt(out.toDouble() / hidden).toFloat()), w.get("bias"))
    }

    /** Video features [video width, valid] from the stack, with the text-connectors component's weights [w]. */
    fun video(nn: Nn, w: Weights, stacked: Tensor, valid: Int): Tensor =
        project(nn, w.at(Ltx2TextArchitecture.VIDEO_AGGREGATE), features(nn, stacked, valid), stacked.ne(0))

    /** Audio features [audio width, valid]. */
    fun audio(nn: Nn, w: Weights, stacked: Tensor, valid: Int): Tensor =
        project(nn, w.at(Ltx2TextArchitecture.AUDIO_AGGREGATE), features(nn, stacked, valid), stacked.ne(0))
}
