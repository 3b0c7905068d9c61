package io.kvsqueeze.cli;

import picocli.CommandLine.Command;

// Skeleton so the command tree compiles while the subcommand is being written.
@Command(name = "model", mixinStandardHelpOptions = true, description = "(being written)")
final class ModelCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("model is not available in this build yet");
    }
}
