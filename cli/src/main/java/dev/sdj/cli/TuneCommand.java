package dev.sdj.cli;

import dev.sdj.api.Engine;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.TuneReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures which placement is fastest on this machine and remembers it.",
                "Runs a short generation under each placement that fits the budget (resident, sequential, streamed with as many blocks resident as fit), times the denoising steps after one untimed warm-up step, and stores the fastest in tune.json in sdj's cache directory, keyed by device, model files, size, guidance, --on-cpu and --max-vram. 'generate' and 'plan' with --placement auto then use it while it still fits."})
final class TuneCommand implements Callable<Integer> {

    @Mixin
    ModelShapeOptions shape = new ModelShapeOptions();

    @Option(names = "--cfg-scale", defaultValue = "7", description = "Guidance scale; 1 means one model evaluation per step (default: ${DEFAULT-VALUE}).")
    double cfgScale;

    @Option(names = "--steps", defaultValue = "3", description = "Steps timed per placement (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    DeviceOptions where = new DeviceOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        GenerationRequest.Builder b = where.applyTo(GenerationRequest.builder("a photograph of a lighthouse at dusk")
                .negativePrompt("blurry").size(shape.width, shape.height).cfgScale(cfgScale));
        threads.applyTo(b, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), ProgressBar.stderrIsTerminal());
        TuneReport report;
        try (Engine engine = Engine.open(shape.engineConfig())) {
            report = engine.tune(b.build(), steps, bar);
        } finally {
            bar.finish();
        }
        for (TuneReport.Trial t : report.trials()) {
            out.printf(Locale.ROOT, "%-10s cfg batch %-3s %6.2f s/step  peak %-10s uploads %s/step%s%n", t.placement(), t.cfgBatch(), t.secondsPerStep(),
                    Bytes.human(t.peakBytes()), Bytes.human(t.uploadBytesPerStep()),
                    t.placement().equals("streamed") ? "  (" + t.residentBlocks() + " blocks resident)" : "");
        }
        out.println("fastest: " + report.fastest().placement() + ", cfg batch " + report.fastest().cfgBatch());
        out.println("stored in the tuning cache for:");
        for (String part : report.key().split(" \\| ")) {
            out.println("  " + part);
        }
        return 0;
    }
}
