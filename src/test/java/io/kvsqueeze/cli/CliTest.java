package io.kvsqueeze.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.model.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The commands run in-process on a tiny random model, as a user would call them. */
class CliTest {
    @TempDir
    Path dir;

    private Path model;

    @BeforeEach
    void writeModel() {
        model = new TinyModel().write(dir.resolve("tiny.gguf"));
    }

    private record Run(int exitCode, String out, String err) {
    }

    private Run run(String... args) {
        PrintStream originalOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cli = KvSqueezeCommand.newCommandLine();
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(originalOut);
        }
    }

    @Test
    void generateJsonReportsTokensTextAndTimings() {
        Run run = run("generate", "--model", model.toString(), "--prompt", "hello", "--temperature", "0",
                "--max-tokens", "6", "--threads", "2", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(run.out());
        assertThat(json.get("token_ids").size()).isBetween(1, 6);
        assertThat(json.get("prompt_tokens").asInt()).isEqualTo(1); // "hello" is one merged token
        assertThat(json.has("text")).isTrue();
        assertThat(json.get("prefill_ms").asDouble()).isPositive();
        assertThat(json.get("decode_tokens_per_s").asDouble()).isGreaterThanOrEqualTo(0);
        assertThat(json.get("kv_bytes").asLong()).isPositive();
    }

    @Test
    void greedyGenerationIsReproducibleAndSeededSamplingToo() {
        String[] greedy = {"generate", "--model", model.toString(), "--prompt", "hello world", "--temperature", "0",
                "--max-tokens", "8", "--json"};
        JsonNode first = JsonMapper.builder().build().readTree(run(greedy).out());
        JsonNode second = JsonMapper.builder().build().readTree(run(greedy).out());
        assertThat(first.get("token_ids")).isEqualTo(second.get("token_ids"));
        assertThat(first.get("text")).isEqualTo(second.get("text"));
        String[] seeded = {"generate", "--model", model.toString(), "--prompt", "hello", "--temperature", "1.5",
                "--seed", "42", "--max-tokens", "8", "--json"};
        JsonNode a = JsonMapper.builder().build().readTree(run(seeded).out());
        JsonNode b = JsonMapper.builder().build().readTree(run(seeded).out());
        assertThat(a.get("token_ids")).isEqualTo(b.get("token_ids"));
    }

    @Test
    void benchJsonReportsSpeeds() {
        Run run = run("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "4",
                "--repetitions", "1", "--threads", "1", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(run.out());
        assertThat(json.get("prefill_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("weight_bytes_per_token").asLong()).isPositive();
    }

    @Test
    void benchServeJsonReportsThroughputLatencyAndPoolUse() {
        Run run = run("bench", "serve", "--model", model.toString(), "--requests", "6", "--concurrency", "3",
                "--prompt-tokens", "40", "--gen-tokens", "5", "--kv-pool", "64KiB", "--kv-policy", "snapkv",
                "--kv-budget", "36", "--threads", "1", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(run.out());
        assertThat(json.get("generated_tokens").asLong()).isEqualTo(6 * 5);
        assertThat(json.get("throughput_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("ttft_ms_p50").asDouble()).isPositive()
                .isLessThanOrEqualTo(json.get("ttft_ms_p99").asDouble());
        assertThat(json.get("kv_pool_peak_bytes").asLong()).isPositive().isLessThanOrEqualTo(64 * 1024);
        assertThat(json.get("kv_bytes_per_request_mean").asLong())
                .isLessThan(json.get("kv_bytes_full_per_request_mean").asLong());
    }

    @Test
    void benchServeRefusesAPoolSizeItCannotRead() {
        Run run = run("bench", "serve", "--model", model.toString(), "--kv-pool", "lots");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: --kv-pool must be a byte size like 512MiB");
    }

    @Test
    void aMissingModelIsAOneLineErrorNotAStackTrace() {
        Run run = run("generate", "--model", dir.resolve("nope.gguf").toString(), "--prompt", "x");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: model file not found").doesNotContain("at io.kvsqueeze");
    }

    @Test
    void aFileThatIsNotGgufIsAOneLineError() throws Exception {
        Path bogus = java.nio.file.Files.writeString(dir.resolve("bogus.gguf"), "not a model at all");
        Run run = run("generate", "--model", bogus.toString(), "--prompt", "x");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: ").contains("bogus.gguf");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"generate", "chat", "bench", "tokenize", "model"}) {
            Run run = run(command, "--help");
            assertThat(run.exitCode()).as(command).isZero();
            assertThat(run.out()).as(command).contains("Usage:");
        }
    }
}
