package dev.sdj.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What sdj offers besides generating: converting a model into one GGUF file, writing a generated clip into a video
 * file, and benchmarks. Implemented by
 * engine-core; thread-safe, but the benchmarks measure best with nothing else running.
 */
public interface Tools {

    /**
     * The implementation on the class path.
     *
     * @throws EngineException when no engine implementation is on the class path
     */
    static Tools get() {
        return Providers.provider().tools();
    }

    /**
     * {@code name} as a type {@link #convert} writes (f32, f16, bf16, q8_0, q5_0, q5_1, q4_0, q4_1, q2_K … q6_K), in
     * ggml's spelling.
     *
     * @throws InvalidRequestException naming the valid types when it is none of them
     */
    String conversionType(String name);

    /**
     * Converts {@code source}'s model (its files and tokenizers) into one GGUF file at {@code output} that generates on
     * its own: tensors named as in the family's single-file checkpoint, converted to {@code type} where
     * stable-diffusion.cpp's rule converts them, the tokenizers embedded. {@code output} appears only once complete.
     *
     * @param type     a name {@link #conversionType} accepts
     * @param keep     tensor names (in the output's naming) matching any of these keep their stored type
     * @param progress called with phase "converting", one step per tensor
     * @throws ModelFileException        when a file cannot be read or is not a model
     * @throws UnsupportedModelException when the family cannot be converted
     */
    Conversion convert(EngineConfig source, Path output, String type, List<Pattern> keep, ProgressListener progress);

    /**
     * Writes {@code video} in the format {@code output}'s name asks for (see {@link VideoFormat#of}): one file, or for a
     * frame pattern one PNG per frame beside it, each replaced atomically once complete, so a failure leaves no partial
     * file. {@code parameters} (A1111's "parameters" text, as {@link GenerationResult#parameters()} holds it) goes into
     * each file's metadata; null writes none.
     *
     * @throws InvalidRequestException when {@code output}'s name asks for no video format (naming it and what works),
     *                                 or the clip does not suit the format (H.264 takes only even widths and heights)
     * @throws EngineException         when the file cannot be written, naming the format and the path
     */
    void writeVideo(GeneratedVideo video, String parameters, Path output);

    /** Benchmarks: numbers for reports, not tests. */
    Benchmarks benchmarks();

    /**
     * What {@link #convert} wrote.
     *
     * @param familyName    the model family's name
     * @param fileBytes     the GGUF file's size
     * @param tensorsByType tensor count by ggml type name (lower case, e.g. q8_0), in the order of first use
     */
    record Conversion(String familyName, long fileBytes, Map<String, Integer> tensorsByType) {
    }
}
