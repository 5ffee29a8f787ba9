package dev.sdj.examples.embed;

import dev.sdj.api.CancellationToken;
import dev.sdj.api.DeviceInfo;
import dev.sdj.api.DeviceReport;
import dev.sdj.api.Engine;
import dev.sdj.api.EngineConfig;
import dev.sdj.api.GenerationCancelledException;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.GenerationResult;
import dev.sdj.api.ModelInspection;
import dev.sdj.api.Sampler;
import dev.sdj.api.Schedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * sdj embedded in a Java application, through engine-api alone: lists the devices, inspects the built-in demo model,
 * generates an image from it with progress, and cancels a second generation halfway. Argument: the PNG to write.
 */
public final class EmbedExample {
    private EmbedExample() {
    }

    public static void main(String[] args) throws IOException {
        Path output = Path.of(args.length > 0 ? args[0] : "embed-java.png");

        DeviceReport devices = DeviceReport.current();
        System.out.println("ggml " + devices.ggmlVersion());
        for (DeviceInfo d : devices.devices()) {
            System.out.printf("device %-8s %-4s budget %,d MiB (%s)%n", d.name(), d.type(), d.budget().bytes() >> 20, d.description());
        }

        // The demo model has random weights: its images are noise, but every phase of a real generation runs.
        EngineConfig model = EngineConfig.demo();
        ModelInspection inspection = ModelInspection.of(model);
        System.out.println("model: " + inspection.familyName());
        for (ModelInspection.Component c : inspection.components()) {
            System.out.printf("  %-16s %,d parameters%n", c.role().label(), c.parameters());
        }

        GenerationRequest request = GenerationRequest.builder("a lighthouse at dusk").size(64, 64).steps(4)
                .sampler(Sampler.EULER).schedule(Schedule.KARRAS).seed(7).build();
        try (Engine engine = Engine.open(model)) {
            GenerationResult result = engine.generate(request,
                    (phase, step, total) -> System.out.printf("  %s %d/%d%n", phase, step, total), new CancellationToken());
            Files.write(output, result.png());
            System.out.printf("wrote %s: %dx%d on %s in %d ms, %d RGB bytes%n", output, result.width(), result.height(),
                    result.placement().device(), result.millis(), result.rgb().length);

            // Usually another thread (a UI's stop button) cancels; here the progress listener does, after two steps.
            CancellationToken cancel = new CancellationToken();
            try {
                engine.generate(request, (phase, step, total) -> {
                    if (phase.equals("denoising") && step == 2) {
                        cancel.cancel();
                    }
                }, cancel);
                throw new IllegalStateException("the cancelled generation ran to the end");
            } catch (GenerationCancelledException e) {
                System.out.println("cancelled: " + e.getMessage());
            }
        }
    }
}
