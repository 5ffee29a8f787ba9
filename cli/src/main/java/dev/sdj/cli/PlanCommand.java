package dev.sdj.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdj.api.Engine;
import dev.sdj.api.GenerationRequest;
import dev.sdj.api.PlacementReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows where a generation's components would live, without loading any weights.",
                "Reports the device, the placement (resident, sequential or streamed), the predicted peak device memory against the budget, the parameter bytes uploaded per step and per generation, each component's parameter bytes and each phase's compute buffer measured on the real graph at the requested size, and what would change the choice."})
final class PlanCommand implements Callable<Integer> {

    @Mixin
    ModelShapeOptions shape = new ModelShapeOptions();

    @Mixin
    PlacementOptions where = new PlacementOptions();

    @Option(names = {"-p", "--prompt"}, defaultValue = "",
            description = "The prompt, where its length sets a graph's size (LTX-2's text context; default: none).")
    String prompt;

    @Option(names = {"-n", "--negative-prompt"}, defaultValue = "", description = "The negative prompt, as -p (default: none).")
    String negativePrompt;

    @Mixin
    VideoOptions video = new VideoOptions();

    @Mixin
    LoraOptions loras = new LoraOptions();

    @Option(names = "--cfg-scale", defaultValue = "7", description = "Guidance scale; 1 means one model evaluation per step instead of two (default: ${DEFAULT-VALUE}).")
    double cfg;

    @Option(names = "--steps", defaultValue = "20", description = "Denoising steps, for the per-generation upload figure (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"-i", "--init-img"}, paramLabel = "PATH",
            description = "Plan image-to-image from this image, as generate -i: the VAE encoder's phase is measured and placed too (only generate reads the file).")
    Path initImage;

    @Option(names = "--mask", paramLabel = "PATH",
            description = "Plan inpainting with this mask, as generate --mask (with -i): refused where generate would refuse it (a family that cannot inpaint, no -i); only generate reads the file.")
    Path mask;

    @Option(names = {"-b", "--batch-count"}, paramLabel = "N", defaultValue = "1",
            description = "Plan a batch of N images, as generate -b: one placement, the model loaded and the prompt encoded once, the other phases once per image (default: ${DEFAULT-VALUE}).")
    int batchCount;

    @Option(names = "--json", description = "Print JSON: {batchCount, device, placement, peakBytes, budgetBytes, budgetSource, reason, peakByPlacement, parameterBytes, computeBytes, blocks, residentBlocks, uploadBytesPerStep, uploadBytesPerGeneration, phases, streamedBlocks, mappedBytes, peakByPhase, vaeTileSize, loraPaths, uploadBytesPerBatch, vaeConvolution, vaeConvolutionReason}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        GenerationRequest request = request();
        PlacementReport r;
        try (Engine engine = Engine.open(shape.engineConfig())) {
            r = engine.plan(request);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = Json.MAPPER.valueToTree(r);
            root.put("batchCount", batchCount);
            Json.print(out, root);
            return 0;
        }
        out.println("device:    " + r.device());
        out.println("placement: " + describe(r));
        out.println("why:       " + r.reason());
        if (r.placement().equals("streamed")) {
            // The phases below name the component that streams: the diffusion model, or a text encoder too large for the device.
            out.println("blocks:    " + r.residentBlocks() + " of " + r.blocks() + " blocks resident, "
                    + (r.blocks() - r.residentBlocks()) + " streamed");
        }
        r.loraPaths().forEach((file, how) -> out.println("LoRA:      " + file + ": " + how));
        if (r.vaeTileSize() > 0) {
            out.println("decoding:  in tiles of " + r.vaeTileSize() + " pixels (tiling changes pixels)");
        }
        if (!r.vaeConvolution().isEmpty()) {
            out.println("vae conv:  " + r.vaeConvolution() + ": " + r.vaeConvolutionReason());
        }
        int labelWidth = r.phases().keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
        r.phases().forEach((phase, where) -> out.printf("  %-" + labelWidth + "s peak %-9s %s%n", phase + ":",
                Bytes.human(r.peakByPhase().getOrDefault(phase, 0L)), String.join(", ",
                where.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList())));
        if (!r.streamedBlocks().isEmpty()) {
            out.println("  streamed blocks: " + String.join(" ", r.streamedBlocks()));
        }
        out.println("uploads:   " + Bytes.human(r.uploadBytesPerStep()) + " per step, " + Bytes.human(r.uploadBytesPerGeneration())
                + " per generation (" + steps + " steps, loading included)" + (batchCount == 1 ? ""
                : ", " + Bytes.human(r.uploadBytesPerBatch()) + " for the batch of " + batchCount + " (the prompt encoded once)"));
        out.println();
        for (Map.Entry<String, Long> e : r.peakByPlacement().entrySet()) {
            out.printf("  %-10s peak %s%s%n", e.getKey(), Bytes.human(e.getValue()), e.getValue() <= r.budgetBytes() ? "" : "  (over budget)");
        }
        out.println();
        r.parameterBytes().forEach((k, v) -> out.printf("  %-16s parameters %s%s%n", k, Bytes.human(v),
                r.mappedBytes().containsKey(k) ? " allocated + " + Bytes.human(r.mappedBytes().get(k)) + " mapped from the model file" : ""));
        r.computeBytes().forEach((k, v) -> out.printf("  %-16s compute    %s%n", k, Bytes.human(v)));
        return 0;
    }

    /** The request generate would make of the same options, as far as they shape the plan. */
    GenerationRequest request() {
        GenerationRequest.Builder b = where.applyTo(loras.applyTo(video.applyTo(GenerationRequest.builder(prompt).negativePrompt(negativePrompt)
                .size(shape.width, shape.height).cfgScale(cfg).steps(steps).batchCount(batchCount))));
        if (initImage != null) b.initImage(initImage);
        if (mask != null) b.mask(mask);
        return b.build();
    }

    static String describe(PlacementReport r) {
        return r.placement() + " on " + r.device() + ", predicted peak " + Bytes.human(r.peakBytes()) + " of a "
                + Bytes.human(r.budgetBytes()) + " budget (" + r.budgetSource() + ")";
    }
}
