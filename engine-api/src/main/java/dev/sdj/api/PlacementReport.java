package dev.sdj.api;

import java.util.Map;

/**
 * Where a generation's components live and why: the device, the placement chosen, the peak device bytes it predicts
 * (parameters + compute), the budget it was chosen against, and the inputs of that choice.
 *
 * @param peakByPlacement predicted peak device bytes of each placement the engine knows
 * @param parameterBytes  each component's parameter bytes on the device
 * @param computeBytes    each phase's compute buffer, measured on the real graph at the requested size
 */
public record PlacementReport(String device, String placement, long peakBytes, long budgetBytes, String budgetSource,
                              String reason, Map<String, Long> peakByPlacement, Map<String, Long> parameterBytes,
                              Map<String, Long> computeBytes) {
}
