package io.kvsqueeze.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.ModelLocations;
import io.kvsqueeze.engine.ReferenceModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenizeCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = KvSqueezeCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    private static String referenceModel() {
        ReferenceModel.metadataOrSkip(); // skips without the GGUF parser or the model file
        return ModelLocations.defaultModel().toString();
    }

    @Test
    void printsTheIdsOfAChatTurnAsLlamaCppDoes() {
        int exitCode = run("tokenize", "--model", referenceModel(), "--text", "<|im_start|>user\nhi<|im_end|>");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).isEqualTo("1 4093 198 6004 2" + System.lineSeparator());
    }

    @Test
    void printsJson() {
        int exitCode = run("tokenize", "--json", "--model", referenceModel(), "--text", "<|im_start|>user\nhi<|im_end|>");

        assertThat(exitCode).isZero();
        assertThat(out.toString().strip()).isEqualTo("{\"ids\":[1,4093,198,6004,2],\"count\":5}");
    }

    @Test
    void noSpecialTokenizesMarkersAsText() {
        int exitCode = run("tokenize", "--no-special", "--model", referenceModel(), "--text", "<|im_start|>user\nhi<|im_end|>");

        assertThat(exitCode).isZero();
        assertThat(out.toString().strip()).isEqualTo("44 108 306 79 3738 108 46 4093 198 6004 44 108 306 79 486 108 46");
    }

    @Test
    void aMissingModelIsAOneLineError(@TempDir Path folder) {
        Path missing = folder.resolve("absent.gguf");

        int exitCode = run("tokenize", "--model", missing.toString(), "--text", "hi");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).startsWith("error: model file not found: " + missing);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void helpNamesTheOptions() {
        int exitCode = run("tokenize", "--help");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).contains("--text", "--json", "--model", "--no-special", ModelLocations.DEFAULT_MODEL_FILE);
    }
}
