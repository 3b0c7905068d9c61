package io.kvsqueeze.cli;

import picocli.CommandLine.Command;

// Skeleton so the command tree compiles while the subcommand is being written.
@Command(name = "generate", mixinStandardHelpOptions = true, description = "(being written)")
final class GenerateCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("generate is not available in this build yet");
    }
}
