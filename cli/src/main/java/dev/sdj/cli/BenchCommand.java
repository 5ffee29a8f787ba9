package dev.sdj.cli;

import dev.sdj.api.Benchmarks;
import dev.sdj.api.DeviceInfo;
import dev.sdj.api.DeviceReport;
import dev.sdj.api.MemoryPools;
import dev.sdj.api.Tools;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (numbers for reports, not tests).",
        subcommands = {BenchCommand.Load.class, BenchCommand.Upload.class, BenchCommand.Prepare.class, BenchCommand.Generate.class, BenchCommand.Stream.class,
                BenchCommand.Condition.class, BenchCommand.Audio.class, BenchCommand.VaeConvolution.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = {"Load throughput from the page cache into parameter buffers on each device.",
                "Writes (once) a safetensors file of f16 tensors, reads it to warm the page cache, then loads it into each device's buffers through the engine's loader. Ratios within one run are what to compare."})
    static final class Load implements Callable<Integer> {
        @Option(names = "--size-mb", defaultValue = "1100", description = "File size in MB (default: ${DEFAULT-VALUE}).")
        long sizeMb;

        @Option(names = "--file", defaultValue = "${java.io.tmpdir}/sdj-load-bench.safetensors",
                description = "Where the file is written and reused (default: ${DEFAULT-VALUE}).")
        Path file;

        @Option(names = "--runs", defaultValue = "3", description = "Loads per device (default: ${DEFAULT-VALUE}).")
        int runs;

        @Mixin
        BenchDeviceNames devices = new BenchDeviceNames();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Benchmarks bench = Tools.get().benchmarks();
            Benchmarks.LoadFile f = bench.prepareLoad(file, sizeMb);
            out.printf(Locale.ROOT, "file %s, %.1f MB in %d tensors%n", f.path(), f.bytes() / 1e6, f.tensors());
            for (DeviceInfo d : DeviceReport.current().devices()) {
                if (!devices.includes(d.name())) {
                    continue;
                }
                Benchmarks.LoadRun r = bench.load(f, d.name(), runs);
                out.printf(Locale.ROOT, "%-10s best %8.0f MB/s   median %8.0f MB/s   runs %s s%n", r.device(),
                        r.bestMbPerSecond(), r.medianMbPerSecond(),
                        r.secondsPerRun().stream().map(s -> String.format(Locale.ROOT, "%.2f", s)).toList());
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = {"Host-to-device copy speed as block streaming copies (pinned host memory where the device has it), the bandwidth 'bench stream' divides by.",
                "For a streamed run whose compute baseline does not fit the device (e.g. Flux on lavapipe's 2 GiB heap): bytes uploaded per step / this = the transfer bound."})
    static final class Upload implements Callable<Integer> {
        @Mixin
        BenchDeviceNames devices = new BenchDeviceNames();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Benchmarks bench = Tools.get().benchmarks();
            for (DeviceInfo d : DeviceReport.current().devices()) {
                if (devices.includes(d.name())) {
                    out.printf(Locale.ROOT, "%-10s %8.0f MB/s%n", d.name(), bench.uploadBytesPerSecond(d.name(), 256L << 20, 5) / 1e6);
                    out.flush();
                }
            }
            return 0;
        }
    }

    /** Progress lines on stderr, flushed at once: full-size runs take minutes per step. */
    static Consumer<String> progress(CommandSpec spec) {
        PrintWriter err = spec.commandLine().getErr();
        return line -> {
            err.println(line);
            err.flush();
        };
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = {"Writes the full-size random model of 'bench generate' (--architecture, --file) unless it is there, and prints its files,",
                "so that plan, tune and generate can be run on it and the writing is timed apart from the benchmark."})
    static final class Prepare implements Callable<Integer> {
        @Mixin
        BenchRunOptions run = new BenchRunOptions();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            long start = System.nanoTime();
            dev.sdj.api.EngineConfig config = run.modelConfig();
            out.printf(Locale.ROOT, "%s ready in %.1f s%n", run.modelName(), (System.nanoTime() - start) / 1e9);
            for (Path p : config.model()) {
                out.printf(Locale.ROOT, "  %s  %s%n", p, Bytes.human(p.toFile().length()));
            }
            config.tokenizer().ifPresent(t -> out.println("  tokenizer: " + t));
            config.t5Tokenizer().ifPresent(t -> out.println("  T5 tokenizer: " + t));
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Time per denoising step (with guidance 2 UNet evaluations, or one of a batch of two: --cfg-batch; 1 DiT evaluation for Flux.1), each phase's time (text encoding, each step, decoding, and the loading between them), uploads and peak memory, by default for a full-size SD 1.5-, SDXL base- or Flux.1-architecture model (--architecture) with random weights.",
                "Run once per size: peak RSS is the process's high-water mark. --pair runs a second configuration in the same process (A B B A) and prints both side by side with B ÷ A."})
    static final class Generate implements Callable<Integer> {
        @Mixin
        BenchRunOptions run = new BenchRunOptions();

        @Mixin
        PlacementOptions where = new PlacementOptions();

        @Mixin
        LoraOptions loras = new LoraOptions();

        @Option(names = PairedConfiguration.OPTION, paramLabel = "OPTIONS", preprocessor = PairedConfiguration.TakesNextWord.class,
                description = {"A second configuration B: these bench generate options added to the others (quoted as one argument; a value given again wins), "
                        + "e.g. --pair \"--diffusion-fa\" or --pair \"--placement streamed --max-vram 500M\". Runs A, B, B, A in this process on the same model file "
                        + "and prints each phase's median for A and B and B ÷ A, each run's peak device memory and peak RSS."})
        String pair;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (pair == null) {
                report(out, generation());
                out.printf(Locale.ROOT, "peak RSS: %s%n", Bytes.human(ProcessMemory.peakRssBytes()));
                return 0;
            }
            Generate second = PairedConfiguration.second(spec, pair);
            out.printf(Locale.ROOT, "A: %s%nB: A with %s%n", String.join(" ", PairedConfiguration.optionsOf(spec.commandLine().getParseResult())), pair);
            PairedRuns runs = new PairedRuns();
            long processPeak = 0;
            for (int i = 0; i < PairedRuns.ORDER.length(); i++) {
                char config = PairedRuns.ORDER.charAt(i);
                out.printf(Locale.ROOT, "%nrun %d of %d: %c%n", i + 1, PairedRuns.ORDER.length(), config);
                out.flush();
                Benchmarks.GenerationRun r = (config == 'A' ? this : second).generation();
                report(out, r);
                runs.add(config, r);
                // Each run resets the high-water mark at its start, so the process's peak is the largest seen at any run's end.
                processPeak = Math.max(processPeak, ProcessMemory.peakRssBytes());
            }
            out.println();
            runs.print(out, processPeak);
            return 0;
        }

        private Benchmarks.GenerationRun generation() {
            return Tools.get().benchmarks().generation(run.modelConfig(), run.size, run.steps, progress(spec), b -> {
                where.applyTo(b);
                loras.applyTo(b);
                run.applyTo(b, spec.commandLine().getErr());
            });
        }

        private void report(PrintWriter out, Benchmarks.GenerationRun r) {
            out.printf(Locale.ROOT, "%s, %dx%d on %s, %s placement: %.2f s/step over %d steps (total %.1f s incl. load, text, VAE), %s uploaded%n",
                    run.modelName(), r.size(), r.size(), r.device(), r.placement(), r.secondsPerStep(), r.steps(),
                    r.totalSeconds(), Bytes.human(r.uploadedBytes()));
            if (r.placement().equals("streamed")) {
                out.printf(Locale.ROOT, "streamed: %d of %d diffusion-model blocks resident, %s uploaded per step, %.2f s/step waiting for uploads%n",
                        r.residentBlocks(), r.blocks(), Bytes.human(r.uploadBytesPerStep()), r.uploadWaitPerStep());
            }
            out.println("phases: " + phases(r.phases()));
            r.peakDeviceBytes().forEach((pool, bytes) -> out.printf(Locale.ROOT, pool.equals(MemoryPools.MAPPED)
                    ? "weights read in place from the mapped model file (%s): %s%n" : "peak device memory on %s (parameters + compute): %s%n", pool, Bytes.human(bytes)));
            out.printf(Locale.ROOT, "%.1f s to the first step (opening the model, loading, text encoding); RSS after generating: %s allocated, %s file-backed (mapped weights)%n",
                    r.secondsToFirstStep(), Bytes.human(r.rssAnonymousBytes()), Bytes.human(r.rssFileBytes()));
            out.flush();
        }

        /** "before text encoding 1.20 s, text encoding 0.35 s, …, denoising 8.31 s (4.20, 4.11 s per step), …" */
        static String phases(List<Benchmarks.PhaseTime> phases) {
            return String.join(", ", phases.stream().map(p -> {
                String line = String.format(Locale.ROOT, "%s %.3f s", p.name(), p.seconds());
                if (p.stepSeconds().size() > 1) {
                    line += p.stepSeconds().stream().map(t -> String.format(Locale.ROOT, "%.3f", t))
                            .collect(java.util.stream.Collectors.joining(", ", " (", " s per step)"));
                }
                return line;
            }).toList());
        }
    }

    @Command(name = "stream", mixinStandardHelpOptions = true,
            description = {"How close block streaming gets to its bound: time per step with every diffusion-model block (UNet or DiT) streamed against max(compute time per step, bytes uploaded per step / host-to-device bandwidth).",
                    "Runs the request twice (sequential, then every block streamed) and measures pinned host-to-device copy speed, all in one process; by default on the full-size random model of 'bench generate' (--architecture)."})
    static final class Stream implements Callable<Integer> {
        @Mixin
        BenchRunOptions run = new BenchRunOptions();

        @Mixin
        DeviceOptions where = new DeviceOptions();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Benchmarks.StreamingRun r = Tools.get().benchmarks().streaming(run.modelConfig(), run.size, run.steps, progress(spec), b -> {
                where.applyTo(b);
                run.applyTo(b, spec.commandLine().getErr());
            });
            out.printf(Locale.ROOT, "%s, %dx%d on %s, %d steps%n", run.modelName(), run.size, run.size, r.device(), run.steps);
            out.printf(Locale.ROOT, "compute (sequential):       %.2f s/step%n", r.computeSecondsPerStep());
            out.printf(Locale.ROOT, "host -> device bandwidth:   %.0f MB/s (pinned where the device has a host buffer type)%n", r.bytesPerSecond() / 1e6);
            out.printf(Locale.ROOT, "every block streamed:       %.2f s/step, %s uploaded per step (%.2f s at that bandwidth), %.2f s/step waiting, peak %s%n",
                    r.streamedSecondsPerStep(), Bytes.human(r.uploadBytesPerStep()), r.transferSecondsPerStep(), r.waitSecondsPerStep(),
                    Bytes.human(r.streamedPeakBytes()));
            out.printf(Locale.ROOT, "ratio to max(compute, transfer): %.2f%n", r.ratio());
            return 0;
        }
    }

    @Command(name = "condition", mixinStandardHelpOptions = true,
            description = {"Time to encode one prompt with the model's conditioning phases (the text encoders; LTX-2's Gemma-3 and connectors), first as the budget places them, then with every streamable block streamed, each in a fresh engine, all in one process.",
                    "By default on the full-size random model of 'bench generate' (--architecture); peak RSS is the process's high-water mark."})
    static final class Condition implements Callable<Integer> {
        @Mixin
        BenchRunOptions run = new BenchRunOptions();

        @Mixin
        DeviceOptions where = new DeviceOptions();

        @Option(names = {"-p", "--prompt"}, defaultValue = "a red fox runs through fresh snow at dawn, low sun, long shadows",
                description = "The prompt to encode (default: ${DEFAULT-VALUE}).")
        String prompt;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<Benchmarks.ConditioningRun> trials = Tools.get().benchmarks().conditioning(run.modelConfig(), prompt, progress(spec), b -> {
                where.applyTo(b);
                run.threads.applyTo(b, spec.commandLine().getErr());
            });
            out.printf(Locale.ROOT, "%s, one prompt%n", run.modelName());
            for (Benchmarks.ConditioningRun t : trials) {
                String phases = String.join(", ", t.phaseSeconds().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue())).toList());
                out.printf(Locale.ROOT, "%s (%d of %d blocks resident): %s; %.1f s in all incl. loading, device peak %s (plan: %s), %s uploaded%n",
                        t.placement(), t.residentBlocks(), t.blocks(), phases, t.totalSeconds(),
                        Bytes.human(t.peakDeviceBytes()), Bytes.human(t.predictedPeakBytes()), Bytes.human(t.uploadedBytes()));
            }
            out.printf(Locale.ROOT, "peak RSS: %s%n", Bytes.human(ProcessMemory.peakRssBytes()));
            return 0;
        }
    }

    @Command(name = "audio", mixinStandardHelpOptions = true,
            description = {"LTX-2 sound decoding against the clip's length: time and compute buffer of the audio VAE and of the vocoder (in its windows, with the bandwidth extension to 48 kHz) per clip length, at LTX-2.3's real shapes with random weights, all in one process.",
                    "Writes the two files once (--file); lengths run shortest first, so each peak RSS is that of the longest clip so far."})
    static final class Audio implements Callable<Integer> {
        @Option(names = "--seconds", split = ",", defaultValue = "1,4,16", paramLabel = "S",
                description = "Clip lengths in whole seconds, comma-separated (default: ${DEFAULT-VALUE}).")
        List<Integer> seconds;

        @Mixin
        BenchDeviceOptions on = new BenchDeviceOptions();

        @Option(names = "--file", defaultValue = "${java.io.tmpdir}/sdj-ltx2-audio-random", paramLabel = "DIR",
                description = "Folder of the random audio VAE and vocoder (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (seconds.stream().anyMatch(s -> s < 1)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--seconds takes whole seconds of at least 1, not " + seconds);
            }
            PrintWriter out = spec.commandLine().getOut();
            Benchmarks benchmarks = Tools.get().benchmarks();
            long start = System.nanoTime();
            List<Path> files = benchmarks.prepareAudio(dir);
            out.printf(Locale.ROOT, "LTX-2.3 audio VAE and vocoder + BWE, random bf16, ready in %.1f s: %s%n", (System.nanoTime() - start) / 1e9, files);
            List<Benchmarks.AudioRun> runs = benchmarks.audio(files, seconds, on.device, on.threads, progress(spec));
            out.printf(Locale.ROOT, "on %s, %d threads%n", on.device, on.threads);
            out.println("| clip | latent frames | audio VAE s | vocoder s | s per audio s | audio VAE buffer | vocoder buffer | peak RSS |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (Benchmarks.AudioRun r : runs) {
                out.printf(Locale.ROOT, "| %d s | %d | %.2f | %.2f | %.2f | %s | %s | %s |%n", r.seconds(), r.latentFrames(), r.vaeSeconds(),
                        r.vocoderSeconds(), r.secondsPerAudioSecond(), Bytes.human(r.vaeComputeBytes()), Bytes.human(r.vocoderComputeBytes()),
                        Bytes.human(r.peakRssBytes()));
            }
            return 0;
        }
    }

    @Command(name = "vae-conv", mixinStandardHelpOptions = true,
            description = {"The SD VAE decoder's convolutions through im2col against ggml's direct convolution (generate's --vae-conv-direct): decode time and compute buffer per latent size, and with --per-conv each distinct convolution of the decoder timed alone, the two paths in A B B A order in one process.",
                    "By default on the full-size random SD 1.5 of 'bench generate' (written first if missing); its VAE alone is loaded."})
    static final class VaeConvolution implements Callable<Integer> {
        @Option(names = "--latent", split = ",", defaultValue = "32,64", paramLabel = "N",
                description = "Latent sizes, comma-separated: 32 decodes 256×256, 64 decodes 512×512 (default: ${DEFAULT-VALUE}).")
        List<Integer> latents;

        @Option(names = "--per-conv", description = "Also time each distinct convolution of the decoder alone on both paths.")
        boolean perConvolution;

        @Mixin
        BenchDeviceOptions on = new BenchDeviceOptions();

        @Option(names = "--model", paramLabel = "PATH", description = "A model holding an SD 1.x/2.x VAE instead of the random SD 1.5.")
        Path model;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (latents.stream().anyMatch(n -> n < 1)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--latent takes sizes of at least 1, not " + latents);
            }
            PrintWriter out = spec.commandLine().getOut();
            Benchmarks benchmarks = Tools.get().benchmarks();
            Path file = model;
            if (file == null) {
                Benchmarks.Architecture sd15 = benchmarks.architectures().stream().filter(a -> a.id().equals("sd15")).findFirst().orElseThrow();
                file = benchmarks.prepare(sd15.id(), Path.of(System.getProperty("java.io.tmpdir"), sd15.defaultFileName())).model().get(0);
            }
            String before = LoadAverage.read();
            Benchmarks.VaeConvolutionRun r = benchmarks.vaeConvolution(file, latents, on.device, on.threads, perConvolution, progress(spec));
            out.printf(Locale.ROOT, "%s on %s, %d threads; load average before %s, after %s%n", file.getFileName(), on.device, on.threads, before, LoadAverage.read());
            out.println("| graph | latent | count | im2col s | direct s | direct / im2col | im2col buffer | direct buffer |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (List<Benchmarks.ConvolutionTiming> list : List.of(r.decodes(), r.convolutions())) {
                for (Benchmarks.ConvolutionTiming t : list) {
                    out.printf(Locale.ROOT, "| %s | %d² | %d | %.3f | %.3f | %.2f | %s | %s |%n", t.what(), t.latent(), t.count(), t.im2colSeconds(),
                            t.directSeconds(), t.timeRatio(), Bytes.human(t.im2colComputeBytes()), Bytes.human(t.directComputeBytes()));
                }
            }
            out.printf(Locale.ROOT, "peak RSS: %s%n", Bytes.human(ProcessMemory.peakRssBytes()));
            return 0;
        }
    }
}
