package io.kvsqueeze.cli;

import io.kvsqueeze.engine.ModelLocations;
import io.kvsqueeze.engine.gguf.GgufFile;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvsqueeze tokenize}: the token ids of a text under a model's tokenizer, as llama.cpp would produce them. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text as the model's tokenizer splits it.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to tokenize.")
    String text;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"count\":N} instead of space-separated ids.")
    boolean json;

    @Option(names = "--model", paramLabel = "PATH",
            description = "GGUF model file (default: ${DEFAULT-VALUE}).")
    Path model = ModelLocations.defaultModel();

    @Option(names = "--no-special",
            description = "Tokenize special-token texts such as <|im_start|> as plain text instead of as their tokens.")
    boolean noSpecial;

    @Override
    public Integer call() throws Exception {
        GgufMetadata metadata;
        // var: GgufFile.open returns an AutoCloseable with metadata(), whatever its declared type.
        try (var file = GgufFile.open(TokenizeOutput.requireModelFile(model))) {
            metadata = file.metadata();
        }
        spec.commandLine().getOut().println(TokenizeOutput.format(metadata, text, !noSpecial, json));
        return 0;
    }
}
