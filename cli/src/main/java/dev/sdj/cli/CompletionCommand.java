package dev.sdj.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** Prints picocli's completion script for every command and option of sdj (bash; zsh after bashcompinit). */
@Command(name = "completion", description = {
        "Print a shell completion script for sdj, for bash or zsh.",
        "Try it: source <(./sdj completion); keep it: ./sdj completion > /etc/bash_completion.d/sdj",
        "(zsh: autoload -U +X bashcompinit && bashcompinit first)."})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
