package dev.sdj.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit codes and environment variables, at the end of every command's --help. */
final class HelpFooter {
    private HelpFooter() {
    }

    static final Map<String, String> EXIT_CODES = exitCodes();

    /** Lines under 80 columns: picocli wraps longer footer lines without indenting them. */
    static final String[] ENVIRONMENT = {
            "  SDJ_GGML_DIR             your own ggml build (CUDA, ROCm, ...) to load",
            "                           instead of the bundled one",
            "  SDJ_CACHE_DIR            sdj's cache: natives, built-in model, tune.json,",
            "                           model hashes (default: $XDG_CACHE_HOME/sdj, else",
            "                           ~/.cache/sdj)",
            "  SDJ_GGML_LOG             ggml's log on stderr: debug, info, warn (default),",
            "                           error or none",
            "  SDJ_DEBUG                set: an internal error prints its stack trace, and",
            "                           sdj's debug log shows, each line timed from the",
            "                           JVM's start (where start-up time goes)",
            "  SDJ_JAVA_OPTS            JVM options for the sdj script (e.g. -Xmx8g)",
            "  GGML_VK_VISIBLE_DEVICES  Vulkan devices ggml uses, e.g. 0; needed to see",
            "                           CPU-type ones (lavapipe)",
    };

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(Integer.toString(0), "done");
        codes.put(Integer.toString(Failures.FAILED), "the command could not do its job (an invalid request, an unusable model, a file"
                + " that cannot be read or written, a budget nothing fits)");
        codes.put(Integer.toString(Failures.USAGE), "the command line is wrong (an unknown option, a value that does not parse)");
        codes.put(Integer.toString(Failures.INTERNAL), "internal error: a bug in sdj; please report it");
        codes.put(Integer.toString(Failures.CANCELLED), "cancelled with Ctrl-C or SIGTERM");
        return codes;
    }

    /** Adds both lists to the command and each of its subcommands. */
    static void addTo(CommandLine command) {
        UsageMessageSpec usage = command.getCommandSpec().usageMessage();
        usage.exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
        usage.footerHeading("%nEnvironment:%n").footer(ENVIRONMENT);
        command.getSubcommands().values().forEach(HelpFooter::addTo);
    }
}
