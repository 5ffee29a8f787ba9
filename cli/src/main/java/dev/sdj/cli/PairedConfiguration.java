package dev.sdj.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Stack;

/**
 * The second configuration of {@code bench generate --pair OPTIONS}: the first one's options with OPTIONS after them,
 * parsed by the same command, so it takes every option bench generate takes and a value given again wins.
 */
final class PairedConfiguration {
    static final String OPTION = "--pair";

    private PairedConfiguration() {
    }

    /**
     * @param first the parsed first configuration's command
     * @param pair  the options to add, as one shell-quoted string
     * @throws ParameterException (a usage error on the first command) when the string does not parse, repeats --pair,
     *                            asks for help or names another model file
     */
    static BenchCommand.Generate second(CommandSpec first, String pair) {
        CommandLine firstLine = first.commandLine();
        List<String> extra;
        try {
            extra = ShellWords.split(pair);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(firstLine, OPTION + " '" + pair + "': " + e.getMessage());
        }
        if (extra.isEmpty()) {
            throw new ParameterException(firstLine, OPTION + " needs the options the second configuration adds, e.g. " + OPTION + " \"--diffusion-fa\"");
        }
        if (extra.stream().anyMatch(w -> w.equals(OPTION) || w.startsWith(OPTION + "="))) {
            throw new ParameterException(firstLine, OPTION + " '" + pair + "': a pair compares two configurations; " + OPTION + " cannot be given inside it");
        }
        List<String> args = new ArrayList<>(optionsOf(firstLine.getParseResult()));
        args.addAll(extra);
        BenchCommand.Generate second = new BenchCommand.Generate();
        CommandLine line = new CommandLine(second);
        line.setOverwrittenOptionsAllowed(true);
        line.setOut(firstLine.getOut());
        line.setErr(firstLine.getErr());
        try {
            ParseResult parsed = line.parseArgs(args.toArray(String[]::new));
            if (parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested()) {
                throw new ParameterException(firstLine, OPTION + " '" + pair + "': options to run with, not help");
            }
        } catch (ParameterException e) {
            throw new ParameterException(firstLine, OPTION + " '" + pair + "': " + e.getMessage());
        }
        java.nio.file.Path model = ((BenchCommand.Generate) first.userObject()).run.modelFile();
        if (!second.run.modelFile().equals(model)) {
            throw new ParameterException(firstLine, OPTION + " '" + pair + "': a pair runs two configurations of one model, "
                    + model + ", not " + second.run.modelFile());
        }
        return second;
    }

    /**
     * Takes the word after --pair as its value even when it looks like an option: {@code --pair "--diffusion-fa"} is
     * the usual case, and picocli would otherwise read it as the option itself.
     */
    static final class TakesNextWord implements CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(Stack<String> args, CommandSpec command, ArgSpec option, Map<String, Object> info) {
            if (args.isEmpty()) {
                return false;   // picocli says the value is missing
            }
            option.setValue(args.pop());
            return true;
        }
    }

    /** The options matched on [parsed]'s command, as words that parse to the same values; --pair left out. */
    static List<String> optionsOf(ParseResult parsed) {
        List<String> words = new ArrayList<>();
        Set<ArgSpec> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (OptionSpec option : parsed.matchedOptions()) {
            // picocli lists an option once per match, each time with all its values.
            if (!seen.add(option) || option.longestName().equals(OPTION)) {
                continue;
            }
            if (option.arity().max() == 0) {
                // A negatable flag given in its --no- form holds false: its plain name would turn it on.
                boolean negated = option.negatable() && Boolean.FALSE.equals(option.getValue());
                words.add(negated ? "--no-" + option.longestName().substring(2) : option.longestName());
                continue;
            }
            for (String value : option.originalStringValues()) {
                words.add(option.longestName());
                words.add(value);
            }
        }
        return words;
    }
}
