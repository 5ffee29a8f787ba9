package dev.sdj.cli;

import dev.sdj.api.GenerationResult;

/**
 * What generate reports after a batch: the last result (its placement and the peaks since the batch began) and the
 * sums over every image, without holding the images themselves.
 */
final class BatchReport {
    private GenerationResult last;
    private int count;
    private long millis;
    private long uploadedBytes;
    private long uploadWaitMillis;

    void add(GenerationResult result) {
        last = result;
        count++;
        millis += result.millis();
        uploadedBytes += result.uploadedParameterBytes();
        uploadWaitMillis += result.uploadWaitMillis();
    }

    int count() {
        return count;
    }

    GenerationResult last() {
        return last;
    }

    long millis() {
        return millis;
    }

    long uploadedBytes() {
        return uploadedBytes;
    }

    long uploadWaitMillis() {
        return uploadWaitMillis;
    }
}
