package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Option;

/** A clip's length and rate, as stable-diffusion.cpp names them; `generate` and `plan` take them alike. */
final class VideoOptions {
    @Option(names = "--video-frames", paramLabel = "N", defaultValue = "1",
            description = "Frames of video a video model (LTX-2) generates, its graphs growing with them; LTX-2 rounds down to 8k+1. "
                    + "Image models ignore it (default: ${DEFAULT-VALUE}, a still).")
    int frames;

    @Option(names = "--fps", defaultValue = "24",
            description = "Frames per second of the video; LTX-2's audio length and time positions follow it. Image models ignore it (default: ${DEFAULT-VALUE}).")
    int fps;

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        return b.frames(frames).fps(fps);
    }
}
