package dev.sdj.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdj.core.model.ComponentKind;
import dev.sdj.core.model.DType;
import dev.sdj.core.model.ModelFamily;
import dev.sdj.core.model.ModelInspector;
import dev.sdj.core.model.TokenizerSource;
import dev.sdj.ggml.Ggml;
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
        Ggml ggml = Ggml.get();
        ModelInspector.Report report = ModelInspector.INSTANCE.inspect(paths, tokenizer, ggml, t5Tokenizer);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, toJson(report));
        } else {
            print(report, out);
        }
        return 0;
    }

    static ObjectNode toJson(ModelInspector.Report report) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("family", report.getFamily().name());
        root.put("familyName", report.getFamily().getLabel());
        ArrayNode inputs = root.putArray("inputs");
        report.getInputs().forEach(p -> inputs.add(p.toString()));
        ArrayNode components = root.putArray("components");
        for (ModelInspector.ComponentReport c : report.getComponents()) {
            ObjectNode n = components.addObject();
            n.put("kind", c.getKind().name());
            n.put("tensors", c.getTensorCount());
            n.put("parameters", c.getParameterCount());
            n.put("fileBytes", c.getFileBytes());
            ObjectNode byType = n.putObject("bytesByType");
            c.getBytesByType().forEach((type, bytes) -> byType.put(type.name(), bytes));
            ObjectNode device = n.putObject("deviceBytes");
            c.getDeviceBytes().forEach(device::put);
            ArrayNode unsupported = n.putArray("unsupportedTensors");
            c.getUnsupportedTensors().forEach(unsupported::add);
            ObjectNode converted = n.putObject("convertedTensors");
            c.getConvertedTensors().forEach((dev, counts) -> {
                ObjectNode d = converted.putObject(dev);
                counts.forEach(d::put);
            });
        }
        root.put("ignoredTensors", report.getIgnoredTensors().size());
        ObjectNode tokenizers = root.putObject("tokenizers");
        report.getTokenizers().forEach((kind, source) -> tokenizers.put(kind.name(), source.getDescription()));
        ArrayNode missing = root.putArray("missingTokenizers");
        report.getMissingTokenizers().forEach(k -> missing.add(k.name()));
        return root;
    }

    private static void print(ModelInspector.Report report, PrintWriter out) {
        out.println("family: " + report.getFamily().getLabel());
        report.getInputs().forEach(p -> out.println("input:  " + p));
        out.println();
        for (ModelInspector.ComponentReport c : report.getComponents()) {
            out.printf("%s: %d tensors, %,d parameters, %s in the files%n", c.getKind().getLabel(), c.getTensorCount(),
                    c.getParameterCount(), Bytes.human(c.getFileBytes()));
            for (Map.Entry<DType, Long> e : c.getBytesByType().entrySet()) {
                out.printf("    %-8s %s%n", e.getKey().name().toLowerCase(java.util.Locale.ROOT), Bytes.human(e.getValue()));
            }
            c.getDeviceBytes().forEach((dev, bytes) -> {
                out.printf("    on %-8s %s%n", dev, Bytes.human(bytes));
                c.getConvertedTensors().getOrDefault(dev, Map.of()).forEach((conversion, count) ->
                        out.printf("      %d tensors %s (the device's ops do not take their type)%n", count, conversion));
            });
            if (!c.getUnsupportedTensors().isEmpty()) {
                out.println("    cannot be device parameters (type): " + String.join(", ", c.getUnsupportedTensors()));
            }
        }
        if (!report.getIgnoredTensors().isEmpty()) {
            out.println();
            out.println(report.getIgnoredTensors().size() + " tensors belong to no component and are ignored (e.g. "
                    + report.getIgnoredTensors().get(0) + ")");
        }
        out.println();
        for (Map.Entry<ComponentKind, TokenizerSource> e : report.getTokenizers().entrySet()) {
            out.println("tokenizer for the " + e.getKey().getLabel() + ": " + e.getValue().getDescription());
        }
        for (ComponentKind k : report.getMissingTokenizers()) {
            if (report.getFamily() == ModelFamily.LTX2 && k == ComponentKind.TEXT_ENCODER) {
                out.println("tokenizer for the " + k.getLabel() + " (Gemma-3): missing — pass the Gemma-3 GGUF, whose metadata"
                        + " holds it, or --tokenizer with the tokenizer.json of google/gemma-3-12b-it");
            } else if (report.getFamily() == ModelFamily.FLUX && k == ComponentKind.TEXT_ENCODER_2) {
                out.println("tokenizer for the " + k.getLabel() + " (T5): missing — pass --t5-tokenizer with tokenizer.json"
                        + " (google/t5-v1_1-xxl, or FLUX.1's tokenizer_2/) or spiece.model");
            } else {
                out.println("tokenizer for the " + k.getLabel() + ": missing — pass --tokenizer with a folder holding vocab.json"
                        + " and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz");
            }
        }
    }
}
