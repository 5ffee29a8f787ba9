package dev.sdj.api;

import java.util.List;

/**
 * What {@link Engine#tune} measured: each placement that fits the request's budget, timed for a few steps (with
 * guidance, each both with the prompts batched and in two evaluations, unless the request chose), and the fastest, which the engine stores and then uses for {@code auto} requests of the same shape on the same device.
 *
 * @param key     what the stored choice applies to: device, model files, size, guidance, pinned components, budget cap
 * @param trials  the placements tried, in the order they ran
 * @param fastest the trial with the least time per step
 */
public record TuneReport(String key, List<Trial> trials, Trial fastest) {

    /**
     * @param cfgBatch       "on" when the prompt and negative prompt were one batched evaluation, "off" when two; see
     *                       {@link GenerationRequest#cfgBatch()}
     * @param residentBlocks diffusion-model blocks kept resident (all of them unless streamed)
     * @param secondsPerStep denoising time per step, from the first step's start to the last step's end
     */
    public record Trial(String placement, String cfgBatch, int residentBlocks, long peakBytes, long uploadBytesPerStep, double secondsPerStep) {
    }
}
