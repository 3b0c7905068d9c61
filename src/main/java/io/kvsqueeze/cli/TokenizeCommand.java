package io.kvsqueeze.cli;

import picocli.CommandLine.Command;

// Skeleton so the command tree compiles while the subcommand is being written.
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "(being written)")
final class TokenizeCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("tokenize is not available in this build yet");
    }
}
