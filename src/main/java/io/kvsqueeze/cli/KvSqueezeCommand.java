package io.kvsqueeze.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kvsqueeze} command line: one subcommand per job, each with its own {@code --help}. */
@Command(name = "kvsqueeze",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Run Llama-family GGUF chat models in pure Java with a compressed KV cache.",
        subcommands = {
                ModelCommand.class,
                TokenizeCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                BenchCommand.class,
                EvalCommand.class,
                ServeCommand.class,
                CommandLine.HelpCommand.class
        })
public final class KvSqueezeCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The configured command line; tests execute it in-process. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new KvSqueezeCommand());
        commandLine.setExecutionExceptionHandler(new UserErrorHandler());
        return commandLine;
    }
}
