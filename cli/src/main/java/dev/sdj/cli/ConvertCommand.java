package dev.sdj.cli;

import dev.sdj.api.EngineConfig;
import dev.sdj.api.InvalidRequestException;
import dev.sdj.api.Tools;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a model in any layout sdj opens into one GGUF file that generates on its own.",
                "Tensors are named as in the family's single-file checkpoint (model.diffusion_model., first_stage_model., "
                        + "cond_stage_model./conditioner.embedders./text_encoders.), converted to --type where stable-diffusion.cpp's rule "
                        + "converts them (not biases, embeddings, convolution kernels), and the tokenizers are embedded (Flux: CLIP's and T5's). "
                        + "SD 1.x, SD 2.x, SDXL and Flux. The output appears only once it is complete."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Checkpoint (.safetensors or .gguf), *.safetensors.index.json, diffusers folder or component file; repeat for split files "
                    + "(or name the files by role: --diffusion-model, --vae, --clip_l, --clip_g, --t5xxl).")
    List<Path> model;

    @Mixin
    ComponentFileOptions componentFiles = new ComponentFileOptions();

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer to embed when the model has none: a folder with vocab.json and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz.")
    Path tokenizer;

    @Option(names = "--t5-tokenizer", paramLabel = "PATH",
            description = "T5 tokenizer to embed (Flux) when the model has none: tokenizer.json, spiece.model or the tokenizer_2/ folder.")
    Path t5Tokenizer;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "q8_0", converter = TypeConverter.class,
            description = "Type of the converted tensors, as ggml spells it: f32, f16, bf16, q8_0, q5_0, q5_1, q4_0, q4_1, q2_K … q6_K (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--keep", paramLabel = "PATTERN", converter = PatternConverter.class,
            description = "Regular expression of tensor names (in the output's naming) kept in their stored type (f16 for fp8); repeatable.")
    List<Pattern> keep = List.of();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The GGUF file to write (replaced if it exists).")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        List<Path> paths = componentFiles.with(model);
        if (paths.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "no model given: pass -m/--model, or the component files (--diffusion-model, --vae, --clip_l, --clip_g, --t5xxl)");
        }
        EngineConfig.Builder source = EngineConfig.builder().model(paths);
        if (tokenizer != null) source.tokenizer(tokenizer);
        if (t5Tokenizer != null) source.t5Tokenizer(t5Tokenizer);
        ProgressBar progress = new ProgressBar(err, ProgressBar.stderrIsTerminal());
        Tools.Conversion result;
        try {
            result = Tools.get().convert(source.build(), output, type, keep, progress);
        } finally {
            progress.finish();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s: %s %s, %s%n", output, result.familyName(), Bytes.human(result.fileBytes()),
                String.join(", ", result.tensorsByType().entrySet().stream()
                        .map(e -> e.getValue() + " " + e.getKey()).toList()) + " tensors");
        return 0;
    }

    /** A bad --type is a usage error (exit 2) naming the valid types. */
    static final class TypeConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                return Tools.get().conversionType(value);
            } catch (InvalidRequestException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** A --keep pattern that does not compile is a usage error, not a failed conversion. */
    static final class PatternConverter implements CommandLine.ITypeConverter<Pattern> {
        @Override
        public Pattern convert(String value) {
            try {
                return Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new CommandLine.TypeConversionException("not a regular expression: " + e.getDescription());
            }
        }
    }
}
