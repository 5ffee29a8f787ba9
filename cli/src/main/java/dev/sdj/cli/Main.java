package dev.sdj.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code sdj} command line. */
@Command(name = "sdj", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "A JVM diffusion engine on ggml for memory-constrained GPUs.",
        subcommands = {GenerateCommand.class, PlanCommand.class, TuneCommand.class, DevicesCommand.class, InspectCommand.class, ConvertCommand.class, BenchCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs a command line with the given writers and returns its exit code (for tests and {@link #main}). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        ConsoleLog.configure(LogLevels.fromEnvironment(false));
        org.slf4j.LoggerFactory.getLogger(Main.class).debug("sdj's command line starts");
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        HelpFooter.addTo(cli);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> Failures.report(e, commandLine.getErr()));
        cli.setParameterExceptionHandler((e, given) -> Failures.usage(e, e.getCommandLine().getErr()));
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only exceptions to the handler; running out of heap is the one error a user can fix.
            code = Failures.outOfMemory(e, err);
        }
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        if (args.length == 0 || !args[0].equals("devices")) {
            LwjglMessages.silenceUnlessDebugging();
        }
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }
}
