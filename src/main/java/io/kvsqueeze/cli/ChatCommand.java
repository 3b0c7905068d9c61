package io.kvsqueeze.cli;

import picocli.CommandLine.Command;

// Skeleton so the command tree compiles while the subcommand is being written.
@Command(name = "chat", mixinStandardHelpOptions = true, description = "(being written)")
final class ChatCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("chat is not available in this build yet");
    }
}
