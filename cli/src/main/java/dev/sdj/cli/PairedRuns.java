package dev.sdj.cli;

import dev.sdj.api.Benchmarks.GenerationRun;
import dev.sdj.api.Benchmarks.PhaseTime;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The runs of {@code bench generate --pair}, configuration A and B in the order {@link #ORDER} in one process (so a drift
 * of the machine's speed weighs on both alike), and their comparison: per-phase medians of each and B ÷ A.
 */
final class PairedRuns {
    /** A first, B twice, A again: a linear drift in the machine's speed cancels out of the medians. */
    static final String ORDER = "ABBA";

    private record Run(char config, GenerationRun result) {
    }

    private final List<Run> runs = new ArrayList<>();

    void add(char config, GenerationRun result) {
        runs.add(new Run(config, result));
    }

    /** The comparison table, then each run's total, peak device memory and peak RSS. */
    void print(PrintWriter out, long processPeakRssBytes) {
        List<GenerationRun> a = of('A');
        List<GenerationRun> b = of('B');
        Map<String, List<PhaseTime>> phasesA = phases(a);
        Map<String, List<PhaseTime>> phasesB = phases(b);
        Set<String> names = new LinkedHashSet<>(phasesA.keySet());
        names.addAll(phasesB.keySet());
        out.printf(Locale.ROOT, "| phase | A: median of %d, s | B: median of %d, s | B ÷ A |%n", a.size(), b.size());
        out.println("|---|---|---|---|");
        for (String name : names) {
            List<PhaseTime> inA = phasesA.getOrDefault(name, List.of());
            List<PhaseTime> inB = phasesB.getOrDefault(name, List.of());
            row(out, name, median(inA, PhaseTime::seconds), median(inB, PhaseTime::seconds));
            if (inA.stream().anyMatch(p -> p.stepSeconds().size() > 1) || inB.stream().anyMatch(p -> p.stepSeconds().size() > 1)) {
                row(out, name + ", median step", medianOf(steps(inA)), medianOf(steps(inB)));
            }
        }
        row(out, "total", median(a, GenerationRun::totalSeconds), median(b, GenerationRun::totalSeconds));
        out.println();
        out.println("| run | configuration | total, s | peak device memory | peak RSS of the run |");
        out.println("|---|---|---|---|---|");
        for (int i = 0; i < runs.size(); i++) {
            GenerationRun r = runs.get(i).result();
            String device = r.peakDeviceBytes().entrySet().stream()
                    .map(e -> e.getKey() + " " + Bytes.human(e.getValue())).collect(Collectors.joining(", "));
            out.printf(Locale.ROOT, "| %d | %s | %.3f | %s | %s |%n", i + 1, runs.get(i).config(), r.totalSeconds(), device,
                    r.runPeakRssBytes() > 0 ? Bytes.human(r.runPeakRssBytes()) : "not measurable here");
        }
        out.printf(Locale.ROOT, "process peak RSS: %s%n", Bytes.human(processPeakRssBytes));
    }

    private List<GenerationRun> of(char config) {
        return runs.stream().filter(r -> r.config() == config).map(Run::result).toList();
    }

    /** Each phase name → its stretch in every run; a name that recurs in a run is numbered from its second time ("denoising 2"). */
    private static Map<String, List<PhaseTime>> phases(List<GenerationRun> runs) {
        Map<String, List<PhaseTime>> byName = new LinkedHashMap<>();
        for (GenerationRun run : runs) {
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (PhaseTime p : run.phases()) {
                int n = seen.merge(p.name(), 1, Integer::sum);
                byName.computeIfAbsent(n == 1 ? p.name() : p.name() + " " + n, k -> new ArrayList<>()).add(p);
            }
        }
        return byName;
    }

    private static List<Double> steps(List<PhaseTime> phases) {
        return phases.stream().flatMap(p -> p.stepSeconds().stream()).toList();
    }

    private static void row(PrintWriter out, String name, Double a, Double b) {
        String ratio = a != null && b != null && a > 0 ? String.format(Locale.ROOT, "%.2f", b / a) : "—";
        out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", name, seconds(a), seconds(b), ratio);
    }

    private static String seconds(Double s) {
        return s == null ? "—" : String.format(Locale.ROOT, "%.3f", s);
    }

    private static <T> Double median(List<T> items, Function<T, Double> value) {
        return medianOf(items.stream().map(value).toList());
    }

    /** The middle value, or the mean of the two middle ones; null for none. */
    static Double medianOf(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int mid = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
    }
}
