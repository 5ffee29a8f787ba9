package dev.sdj.core.family.ltx2

/**
 * LTX-2.3's text conditioning of one generation, as the DiT takes it: per prompt (the prompt, then the negative prompt
 * when guidance needs one) f32 [[width], [length]] in ggml order, the video context's channels first, then the
 * audio context's ([Ltx2TextContext]).
 */
class Ltx2Conditioning(val contexts: List<FloatArray>, val width: Long, val length: Int)
