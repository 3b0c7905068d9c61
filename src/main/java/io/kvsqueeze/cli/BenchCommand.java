package io.kvsqueeze.cli;

import picocli.CommandLine.Command;

// Skeleton so the command tree compiles while the subcommand is being written.
@Command(name = "bench", mixinStandardHelpOptions = true, description = "(being written)")
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("bench is not available in this build yet");
    }
}
