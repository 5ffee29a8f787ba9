package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The placement, with the device and its budget: shared by generate and plan. */
final class PlacementOptions {
    @Option(names = "--placement", defaultValue = "auto",
            description = "auto (the tuned placement if 'sdj tune' stored one, else the fastest that fits), resident (every "
                    + "component stays on the device), sequential (text encoder, then diffusion model + VAE: peak memory is the "
                    + "larger group, not the sum) or streamed (as sequential, the diffusion model's blocks streamed through the "
                    + "device, as many kept resident as fit) (default: ${DEFAULT-VALUE}).")
    String placement;

    @Mixin
    DeviceOptions device = new DeviceOptions();

    GenerationRequest.Builder applyTo(GenerationRequest.Builder b) {
        b.placement(placement);
        return device.applyTo(b);
    }
}
