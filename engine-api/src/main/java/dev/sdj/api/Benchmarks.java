package dev.sdj.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The engine's benchmarks, reached through {@link Tools#benchmarks()}: numbers for reports, not tests. Ratios within
 * one run are what to compare; a machine shared with other work gives noisy figures. Each run blocks its thread.
 */
public interface Benchmarks {

    /** The full-size architectures {@link #prepare} writes with random weights, for measuring where no real weights may be downloaded. */
    List<Architecture> architectures();

    /**
     * Writes the random model of architecture {@code id} to {@code file} unless it is already there, and returns the
     * configuration that opens it.
     *
     * @throws InvalidRequestException when {@code id} names none of {@link #architectures()}
     */
    EngineConfig prepare(String id, Path file);

    /**
     * Writes (once) a safetensors file of about {@code megabytes} MB of f16 tensors for {@link #load}, and reads it whole
     * so that the loads measure the page cache, not the disk.
     */
    LoadFile prepareLoad(Path file, long megabytes);

    /** Loads {@code file} into parameter buffers on ggml device {@code device} {@code runs} times, through the engine's loader. */
    LoadRun load(LoadFile file, String device, int runs);

    /**
     * Host-to-device copy speed in bytes per second as block streaming copies (from pinned host memory where the
     * device has it): the best of {@code runs} copies of {@code bytes}.
     */
    double uploadBytesPerSecond(String device, long bytes, int runs);

    /**
     * Time per denoising step and memory for a square image of {@code size} pixels in {@code steps} steps.
     *
     * @param log       hears one line per phase and step as the run goes
     * @param configure sets the request's device, placement, threads or cfg scale
     */
    GenerationRun generation(EngineConfig model, int size, int steps, Consumer<String> log, Consumer<GenerationRequest.Builder> configure);

    /**
     * How close block streaming gets to its bound: the request run sequential, then with every diffusion-model block
     * streamed, and the host-to-device bandwidth, all in one process.
     */
    StreamingRun streaming(EngineConfig model, int size, int steps, Consumer<String> log, Consumer<GenerationRequest.Builder> configure);

    /**
     * Time to encode {@code prompt} with the model's conditioning phases, first as the budget places them, then with
     * every streamable block streamed, each in a fresh engine.
     */
    List<ConditioningRun> conditioning(EngineConfig model, String prompt, Consumer<String> log, Consumer<GenerationRequest.Builder> configure);

    /**
     * Writes (once) LTX-2.3's audio VAE decoder and vocoder, with its bandwidth extension, at their real shapes with
     * random weights into folder {@code dir}, and returns the files {@link #audio} reads.
     */
    List<Path> prepareAudio(Path dir);

    /**
     * LTX-2's sound decoding against the clip's length: for each of {@code seconds} (shortest first), a random audio
     * latent of a 24 fps clip that long through the audio VAE and then the vocoder in its windows, on ggml device
     * {@code device}, all in one process.
     *
     * @param files   the audio VAE's and the vocoder's files ({@link #prepareAudio}'s, or a checkpoint holding both)
     * @param threads CPU threads; null for one per physical core
     * @param log     hears one line as each length is done
     */
    List<AudioRun> audio(List<Path> files, List<Integer> seconds, String device, Integer threads, Consumer<String> log);

    /**
     * The SD VAE decoder's convolutions through im2col against ggml's direct convolution, both in one process in the
     * order A B B A: for each latent size (32 for a 256×256 image, 64 for 512×512), the whole decoder's time and compute
     * buffer on each path and, with {@code perConvolution}, each distinct convolution of the decoder timed alone.
     *
     * @param model   a model holding an SD 1.x/2.x VAE (the full-size random SD 1.5 of {@link #prepare}, say)
     * @param threads CPU threads; null for one per physical core
     * @param log     hears one line as each measurement is done
     */
    VaeConvolutionRun vaeConvolution(Path model, List<Integer> latents, String device, Integer threads, boolean perConvolution,
                                     Consumer<String> log);

    /**
     * A benchmark architecture.
     *
     * @param id              its name on the command line and in file names (sd15, sdxl, flux-dev, …)
     * @param label           its name in reports, e.g. "SD 1.5"
     * @param weights         what its weights are stored as, e.g. "f16"
     * @param cfgScale        the cfg scale it is run with (Flux.1 is guidance-distilled: 1)
     * @param defaultFileName the file or folder name it is written to by default
     */
    record Architecture(String id, String label, String weights, double cfgScale, String defaultFileName) {
    }

    /**
     * The file {@link #load} reads.
     *
     * @param path    where it is
     * @param bytes   its tensors' bytes
     * @param tensors how many tensors it holds
     */
    record LoadFile(Path path, long bytes, int tensors) {
    }

    /**
     * One device's loads.
     *
     * @param device        the ggml device name
     * @param bytes         the bytes loaded per run
     * @param secondsPerRun each run's time
     */
    record LoadRun(String device, long bytes, List<Double> secondsPerRun) {
        /** Copies the runs: the record is immutable. */
        public LoadRun {
            secondsPerRun = List.copyOf(secondsPerRun);
        }

        /** MB per second of the fastest run. */
        public double bestMbPerSecond() {
            return bytes / 1e6 / secondsPerRun.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        }

        /** MB per second of the median run. */
        public double medianMbPerSecond() {
            return bytes / 1e6 / secondsPerRun.stream().sorted().toList().get(secondsPerRun.size() / 2);
        }
    }

    /**
     * A generation benchmark's figures.
     *
     * @param size               image width and height
     * @param steps              denoising steps
     * @param secondsPerStep     time per denoising step
     * @param totalSeconds       the whole run from opening the model, loading, text encoding and decoding included
     * @param peakDeviceBytes    memory pool → the most held there at once (see {@link GenerationResult#peakDeviceBytes()})
     * @param uploadedBytes      parameters uploaded
     * @param device             the ggml device it ran on
     * @param placement          the placement it ran under
     * @param blocks             diffusion-model blocks (streamed placement)
     * @param residentBlocks     of which kept resident
     * @param uploadBytesPerStep bytes streamed per step
     * @param uploadWaitPerStep  seconds per step the computation waited for streamed blocks
     * @param secondsToFirstStep from opening the model to its first denoising step: planning, loading, text encoding, building the graph
     * @param rssAnonymousBytes  the process's allocated resident memory once generated, engine still open
     * @param rssFileBytes       the process's file-backed resident memory then (mapped weights)
     * @param phases             the run's stretches in order, adding up to {@code totalSeconds}: each phase the engine
     *                           reported ("text encoding", "denoising", "decoding", "image encoding", …) and the work before
     *                           it ("before denoising": planning, loading weights, building graphs), and "after" the last
     * @param runPeakRssBytes    the process's resident high-water mark during this run alone (reset at its start); 0 where
     *                           Linux would not reset it, and only the process's peak is known
     */
    record GenerationRun(int size, int steps, double secondsPerStep, double totalSeconds, Map<String, Long> peakDeviceBytes,
                         long uploadedBytes, String device, String placement, int blocks, int residentBlocks,
                         long uploadBytesPerStep, double uploadWaitPerStep, double secondsToFirstStep,
                         long rssAnonymousBytes, long rssFileBytes, List<PhaseTime> phases, long runPeakRssBytes) {
        /** Copies the phases: the record is immutable. */
        public GenerationRun {
            phases = List.copyOf(phases);
        }
    }

    /**
     * One stretch of a generation benchmark's run.
     *
     * @param name        the phase as the engine reports it, or "before …"/"after …" for the work between phases
     * @param seconds     its wall time
     * @param stepSeconds each of its progress ticks' time (a denoising step, a decoded tile); empty between phases
     */
    record PhaseTime(String name, double seconds, List<Double> stepSeconds) {
        /** Copies the steps: the record is immutable. */
        public PhaseTime {
            stepSeconds = List.copyOf(stepSeconds);
        }
    }

    /**
     * A streaming benchmark's figures.
     *
     * @param device                 the ggml device it ran on
     * @param computeSecondsPerStep  time per step, sequential placement (nothing streamed)
     * @param streamedSecondsPerStep time per step, every block streamed
     * @param uploadBytesPerStep     bytes streamed per step
     * @param waitSecondsPerStep     seconds per step waiting for uploads
     * @param bytesPerSecond         host-to-device bandwidth
     * @param streamedPeakBytes      peak device memory while streamed
     */
    record StreamingRun(String device, double computeSecondsPerStep, double streamedSecondsPerStep, long uploadBytesPerStep,
                        double waitSecondsPerStep, double bytesPerSecond, long streamedPeakBytes) {
        /** Seconds per step the uploads take at the measured bandwidth. */
        public double transferSecondsPerStep() {
            return uploadBytesPerStep / bytesPerSecond;
        }

        /** Streamed time per step over its bound, max(compute, transfer): 1 is as fast as streaming can be. */
        public double ratio() {
            return streamedSecondsPerStep / Math.max(computeSecondsPerStep, transferSecondsPerStep());
        }
    }

    /**
     * One clip length's sound decoding.
     *
     * @param seconds             the clip's length
     * @param latentFrames        its audio latent frames
     * @param melFrames           the log-mel frames the audio VAE gives the vocoder
     * @param vaeSeconds          time in the audio VAE (graph built, run, read back)
     * @param vocoderSeconds      time in the vocoder, every window
     * @param vaeComputeBytes     the audio VAE graph's compute buffer
     * @param vocoderComputeBytes the vocoder's window graph's compute buffer
     * @param sampleRate          the waveform's rate (48 kHz with the bandwidth extension)
     * @param peakRssBytes        the process's peak resident memory once this length is done
     */
    record AudioRun(int seconds, int latentFrames, int melFrames, double vaeSeconds, double vocoderSeconds, long vaeComputeBytes,
                    long vocoderComputeBytes, int sampleRate, long peakRssBytes) {
        /** Seconds of decoding (both phases) per second of sound: flat when time grows linearly with the clip. */
        public double secondsPerAudioSecond() {
            return (vaeSeconds + vocoderSeconds) / seconds;
        }
    }

    /**
     * {@link #vaeConvolution}'s measurements.
     *
     * @param decodes      the whole decoder, per latent size
     * @param convolutions each distinct convolution alone, per latent size (empty unless asked for)
     */
    record VaeConvolutionRun(List<ConvolutionTiming> decodes, List<ConvolutionTiming> convolutions) {}

    /**
     * A graph timed on both convolution paths.
     *
     * @param what                what ran: "decoder" or the convolution, e.g. "3×3 512→512 at 64²"
     * @param latent              the latent size whose decoder it is or belongs to
     * @param count               how many such convolutions the decoder holds (1 for the decoder itself)
     * @param im2colSeconds       mean time through im2col + matrix product
     * @param directSeconds       mean time through ggml_conv_2d_direct
     * @param im2colComputeBytes  compute buffer through im2col
     * @param directComputeBytes  compute buffer through the direct convolution
     */
    record ConvolutionTiming(String what, int latent, int count, double im2colSeconds, double directSeconds, long im2colComputeBytes,
                             long directComputeBytes) {
        /** Direct time over im2col time: below 1, the direct path is faster. */
        public double timeRatio() {
            return directSeconds / im2colSeconds;
        }
    }

    /**
     * One conditioning trial.
     *
     * @param placement          the placement it ran under
     * @param residentBlocks     streamable blocks kept resident
     * @param blocks             streamable blocks in all
     * @param phaseSeconds       phase name → seconds, in phase order
     * @param totalSeconds       the whole trial, loading included
     * @param predictedPeakBytes the plan's peak device memory
     * @param peakDeviceBytes    the peak the ledger saw
     * @param uploadedBytes      parameters uploaded
     */
    record ConditioningRun(String placement, int residentBlocks, int blocks, Map<String, Double> phaseSeconds, double totalSeconds,
                           long predictedPeakBytes, long peakDeviceBytes, long uploadedBytes) {
    }
}
