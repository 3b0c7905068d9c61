package io.kvsqueeze.cli;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.PolicyKvCompression;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.generate.GenerationResult;
import io.kvsqueeze.engine.generate.Generator;
import io.kvsqueeze.engine.generate.Sequence;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/** One completion of a prompt, streamed to the terminal, or reported as one JSON object. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a completion of a prompt (with --chat, an assistant reply to it).")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingMixin sampling;

    @Mixin
    KvPolicyOptions kvPolicy;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = "--chat", description = "render the prompt as a user message with the model's chat template")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "system message (with --chat)")
    String system;

    @Option(names = "--json", description = "print one JSON object: token_ids, text, prompt_tokens, prefill_ms, "
            + "decode_tokens_per_s, ...")
    boolean json;

    @Override
    public Integer call() {
        KvPolicy policy = kvPolicy.policy(); // a bad policy fails before the model loads
        try (InferenceEngine engine = modelOptions.load()) {
            int[] promptIds;
            if (chat) {
                List<ChatMessage> messages = new ArrayList<>();
                if (system != null) {
                    messages.add(new ChatMessage("system", system));
                }
                messages.add(new ChatMessage("user", prompt));
                promptIds = engine.tokenizer().encode(engine.chatTemplate().render(messages, true), true, true);
            } else {
                promptIds = engine.tokenizer().encode(prompt, true, false);
            }
            Sequence sequence = engine.newSequence(policy);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            GenerationResult result = new Generator(engine).generate(sequence, promptIds, sampling.request(),
                    json ? text -> { } : out::print);
            if (json) {
                Map<String, Object> fields = toJson(result);
                fields.put("kv_bytes_full", sequence.fullKvBytes());
                fields.put("kv_policy", kvPolicy.policy);
                if (sequence.compression() instanceof PolicyKvCompression compression) {
                    fields.put("compression_ms", Math.round(compression.lastCompressionNanos() / 1e4) / 100.0);
                }
                out.println(JsonMapper.builder().build().writeValueAsString(fields));
            } else {
                out.println();
                System.err.printf("[%d prompt tokens, prefill %.1f ms; %d tokens, %.1f tokens/s; %s; KV %d of %d"
                                + " bytes]%n", result.promptTokens(), result.prefillMillis(), result.tokenIds().length,
                        result.decodeTokensPerSecond(), result.finishReason().name().toLowerCase(), result.kvBytes(),
                        sequence.fullKvBytes());
            }
        }
        return 0;
    }

    static Map<String, Object> toJson(GenerationResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("token_ids", result.tokenIds());
        json.put("text", result.text());
        json.put("finish_reason", result.finishReason().name().toLowerCase());
        json.put("prompt_tokens", result.promptTokens());
        json.put("completion_tokens", result.tokenIds().length);
        json.put("prefill_ms", Math.round(result.prefillMillis() * 100) / 100.0);
        json.put("decode_tokens_per_s", Math.round(result.decodeTokensPerSecond() * 100) / 100.0);
        json.put("kv_bytes", result.kvBytes());
        return json;
    }
}
