package dev.sdj.api;

import java.util.Map;

/**
 * Where a generation's components live and why: the device, the placement chosen, the peak device bytes it predicts
 * (parameters + compute), the budget it was chosen against, and the inputs of that choice.
 *
 * @param peakByPlacement predicted peak device bytes of each placement the engine knows
 * @param parameterBytes  each component's parameter bytes on the device
 * @param computeBytes    each phase's compute buffer, measured on the real graph at the requested size
 * @param blocks          the diffusion model's streamable blocks (UNet levels, DiT blocks); for a pipeline whose only
 *                        streamable component is a text encoder (LTX-2's conditioning today), its blocks (layers).
 *                        Every streamed component is named in {@code phases} with its own counts
 * @param residentBlocks  of those, the blocks that stay on the device: all of them unless the placement is streamed
 * @param uploadBytesPerStep       parameter bytes uploaded per denoising step (streamed blocks × model evaluations)
 * @param uploadBytesPerGeneration parameter bytes the request's (first) generation is predicted to upload, from what
 *                                 the engine holds on the device now and the phase results it can reuse: a fresh
 *                                 engine uploads everything it places on the device, a repeat under the resident
 *                                 placement nothing; the blocks of every streamed component (text-encoder layers too)
 *                                 included, once per pass of its phase's graph; weights read in place from a
 *                                 mapped model file are no upload
 * @param phases          per phase ("text encoding", "denoising", "decoding"), the components in memory and where:
 *                        "device", "cpu" (pinned to the CPU), or "streamed (k of n blocks resident)"
 * @param streamedBlocks  of {@code blocks}, those that stream, in execution order (empty unless streamed)
 * @param mappedBytes     of the components computed on the CPU, each one's parameter bytes read in place from the
 *                        memory-mapped model file (see {@link EngineConfig#mapWeights()}): file-backed pages, so not
 *                        in {@code parameterBytes} nor in the peaks, which count allocated memory; empty when nothing
 *                        is mapped
 * @param peakByPhase     per phase, as {@code phases} names them, the predicted peak device bytes of the chosen
 *                        placement while it runs: the parameters it needs there (streamed components: their resident
 *                        part and slots) and its compute buffer; the largest is {@code peakBytes}
 * @param vaeTileSize     the tile size in pixels the VAE decodes in: the request's ({@code vaeTileSize}), or, for a
 *                        family whose planner tiles (LTX-2's video), the one it chose because the whole decode fits no
 *                        placement (the {@code reason} says so: tiling changes pixels); 0 decodes whole
 * @param loraPaths       per LoRA file of the request (by file name), how many of its weights are merged and how many
 *                        added as low-rank graph ops, and why; empty without LoRAs
 * @param uploadBytesPerBatch parameter bytes the request's whole batch uploads ({@link GenerationRequest#batchCount()}
 *                        images under this one placement): the first image's {@code uploadBytesPerGeneration}, then
 *                        each later image's, which reuse the prompt's encoding and start from what the image before
 *                        left on the device; for one image, {@code uploadBytesPerGeneration}
 * @param vaeConvolution  how the VAE's convolutions run: "im2col", "direct" (ggml's direct convolution, no per-pixel
 *                        patches in its compute buffer), or "" when no VAE phase runs
 * @param vaeConvolutionReason why: as the request asks, or im2col by default (direct changes pixels by rounding, so
 *                        the budget never chooses it) with the VAE's compute buffer both ways; "" when no VAE phase
 *                        runs. Where direct would let a faster placement fit, {@code reason} names it
 */
public record PlacementReport(String device, String placement, long peakBytes, long budgetBytes, String budgetSource,
                              String reason, Map<String, Long> peakByPlacement, Map<String, Long> parameterBytes,
                              Map<String, Long> computeBytes, int blocks, int residentBlocks, long uploadBytesPerStep,
                              long uploadBytesPerGeneration, Map<String, Map<String, String>> phases,
                              java.util.List<String> streamedBlocks, Map<String, Long> mappedBytes,
                              Map<String, Long> peakByPhase, int vaeTileSize, Map<String, String> loraPaths,
                              long uploadBytesPerBatch, String vaeConvolution, String vaeConvolutionReason) {
}
