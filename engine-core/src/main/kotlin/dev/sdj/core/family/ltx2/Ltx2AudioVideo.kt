package dev.sdj.core.family.ltx2

/**
 * A pair of LTX-2 latent-shaped arrays, video [latentWidth, latentHeight, latentFrames, 128] and audio [16,
 * audioLength, 8] in ggml order ([Ltx2Latents]): the denoised latents, or the DiT's velocities for them.
 */
class Ltx2AudioVideo(val video: FloatArray, val audio: FloatArray)
