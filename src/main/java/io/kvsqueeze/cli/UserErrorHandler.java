package io.kvsqueeze.cli;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Prints a one-line error for the failures a user can fix (a bad file, a bad argument, a missing model)
 * instead of a stack trace; anything else keeps its trace because it is a bug.
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        if (ex instanceof GgufFormatException || ex instanceof IllegalArgumentException
                || ex instanceof IOException || ex instanceof UncheckedIOException
                || ex instanceof IllegalStateException) {
            commandLine.getErr().println("error: " + ex.getMessage());
            return 2;
        }
        ex.printStackTrace(commandLine.getErr());
        return 1;
    }
}
