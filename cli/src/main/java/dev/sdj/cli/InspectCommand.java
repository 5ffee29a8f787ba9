package dev.sdj.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdj.api.EngineConfig;
import dev.sdj.api.ModelInspection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Reads model files without loading their weights and reports what they hold.",
                "Reports the family, the components, parameter counts and bytes by type per component, the bytes each component needs on every device, and whether a tokenizer was found. Accepts a single checkpoint (.safetensors or .gguf), a sharded *.safetensors.index.json, a diffusers folder, or separate component files (diffusion model, text encoders, VAE) given together."})
final class InspectCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Model files or a diffusers folder.")
    List<Path> paths;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer for the text encoder: a folder with vocab.json and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz; for LTX-2, Gemma-3's tokenizer.json (or its folder).")
    Path tokenizer;

    @Option(names = "--t5-tokenizer", paramLabel = "PATH",
            description = "T5 tokenizer for Flux's second text encoder when the model has none: tokenizer.json (google/t5-v1_1-xxl, or FLUX.1's tokenizer_2/), spiece.model, or a folder holding one.")
    Path t5Tokenizer;

    @Option(names = "--json", description = "Print JSON for machines (schema: see README, 'inspect --json').")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        EngineConfig.Builder model = EngineConfig.builder().model(paths);
        if (tokenizer != null) model.tokenizer(tokenizer);
        if (t5Tokenizer != null) model.t5Tokenizer(t5Tokenizer);
        ModelInspection report = ModelInspection.of(model.build());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, toJson(report));
        } else {
            print(report, out);
        }
        return 0;
    }

    static ObjectNode toJson(ModelInspection report) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("family", report.family());
        root.put("familyName", report.familyName());
        ArrayNode inputs = root.putArray("inputs");
        report.inputs().forEach(p -> inputs.add(p.toString()));
        ArrayNode components = root.putArray("components");
        for (ModelInspection.Component c : report.components()) {
            ObjectNode n = components.addObject();
            n.put("kind", c.role().kind());
            n.put("tensors", c.tensors());
            n.put("parameters", c.parameters());
            n.put("fileBytes", c.fileBytes());
            ObjectNode byType = n.putObject("bytesByType");
            c.bytesByType().forEach(byType::put);
            ObjectNode device = n.putObject("deviceBytes");
            c.deviceBytes().forEach(device::put);
            ArrayNode unsupported = n.putArray("unsupportedTensors");
            c.unsupportedTensors().forEach(unsupported::add);
            ObjectNode converted = n.putObject("convertedTensors");
            c.convertedTensors().forEach((dev, counts) -> {
                ObjectNode d = converted.putObject(dev);
                counts.forEach(d::put);
            });
        }
        root.put("ignoredTensors", report.ignoredTensors().size());
        ObjectNode tokenizers = root.putObject("tokenizers");
        report.tokenizers().forEach(t -> tokenizers.put(t.encoder().kind(), t.description()));
        ArrayNode missing = root.putArray("missingTokenizers");
        report.missingTokenizers().forEach(k -> missing.add(k.kind()));
        return root;
    }

    private static void print(ModelInspection report, PrintWriter out) {
        out.println("family: " + report.familyName());
        report.inputs().forEach(p -> out.println("input:  " + p));
        out.println();
        for (ModelInspection.Component c : report.components()) {
            out.printf("%s: %d tensors, %,d parameters, %s in the files%n", c.role().label(), c.tensors(),
                    c.parameters(), Bytes.human(c.fileBytes()));
            for (Map.Entry<String, Long> e : c.bytesByType().entrySet()) {
                out.printf("    %-8s %s%n", e.getKey().toLowerCase(java.util.Locale.ROOT), Bytes.human(e.getValue()));
            }
            c.deviceBytes().forEach((dev, bytes) -> {
                out.printf("    on %-8s %s%n", dev, Bytes.human(bytes));
                c.convertedTensors().getOrDefault(dev, Map.of()).forEach((conversion, count) ->
                        out.printf("      %d tensors %s (the device's ops do not take their type)%n", count, conversion));
            });
            if (!c.unsupportedTensors().isEmpty()) {
                out.println("    cannot be device parameters (type): " + String.join(", ", c.unsupportedTensors()));
            }
        }
        if (!report.ignoredTensors().isEmpty()) {
            out.println();
            out.println(report.ignoredTensors().size() + " tensors belong to no component and are ignored (e.g. "
                    + report.ignoredTensors().get(0) + ")");
        }
        out.println();
        for (ModelInspection.Tokenizer t : report.tokenizers()) {
            out.println("tokenizer for the " + t.encoder().label() + ": " + t.description());
        }
        for (ModelInspection.Role k : report.missingTokenizers()) {
            if (report.family().equals("LTX2") && k.kind().equals("TEXT_ENCODER")) {
                out.println("tokenizer for the " + k.label() + " (Gemma-3): missing — pass the Gemma-3 GGUF, whose metadata"
                        + " holds it, or --tokenizer with the tokenizer.json of google/gemma-3-12b-it");
            } else if (report.family().equals("FLUX") && k.kind().equals("TEXT_ENCODER_2")) {
                out.println("tokenizer for the " + k.label() + " (T5): missing — pass --t5-tokenizer with tokenizer.json"
                        + " (google/t5-v1_1-xxl, or FLUX.1's tokenizer_2/) or spiece.model");
            } else {
                out.println("tokenizer for the " + k.label() + ": missing — pass --tokenizer with a folder holding vocab.json"
                        + " and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz");
            }
        }
    }
}
