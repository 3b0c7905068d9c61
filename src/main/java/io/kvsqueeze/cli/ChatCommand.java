package io.kvsqueeze.cli;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.generate.GenerationResult;
import io.kvsqueeze.engine.generate.Generator;
import io.kvsqueeze.engine.generate.Sequence;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Interactive chat in the terminal. The conversation lives in one sequence, so each turn only computes the
 * tokens it adds: the rendered history is a prefix the KV cache already holds.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with the model in the terminal (/reset starts over, /exit or end of input quits).")
final class ChatCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingMixin sampling;

    @Mixin
    KvPolicyOptions kvPolicy;

    @Option(names = "--system", paramLabel = "TEXT", description = "system message")
    String system;

    @Override
    public Integer call() throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        KvPolicy policy = kvPolicy.policy(); // a bad policy fails before the model loads
        try (InferenceEngine engine = modelOptions.load()) {
            Sequence sequence = engine.newSequence(policy);
            Generator generator = new Generator(engine);
            List<ChatMessage> messages = new ArrayList<>();
            newConversation(messages);
            out.println("Chatting with " + modelOptions.modelPath().getFileName()
                    + ". /reset starts over, /exit quits.");
            while (true) {
                out.print("> ");
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    out.println();
                    return 0;
                }
                if (line.strip().equals("/reset")) {
                    newConversation(messages);
                    sequence.reset();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                messages.add(new ChatMessage("user", line));
                int[] prompt = engine.tokenizer().encode(engine.chatTemplate().render(messages, true), true, true);
                if (prompt.length >= sequence.capacity()) {
                    out.println("[the conversation no longer fits the context of " + sequence.capacity()
                            + " tokens: /reset, or restart with a larger --context]");
                    messages.removeLast();
                    continue;
                }
                GenerationResult result = generator.generate(sequence, prompt, sampling.request(), out::print);
                out.println();
                messages.add(new ChatMessage("assistant", result.text()));
                System.err.printf("[%d new prompt tokens, %d tokens at %.1f tokens/s]%n",
                        result.promptTokens() - result.reusedTokens(), result.tokenIds().length,
                        result.decodeTokensPerSecond());
            }
        }
    }

    private void newConversation(List<ChatMessage> messages) {
        messages.clear();
        if (system != null) {
            messages.add(new ChatMessage("system", system));
        }
    }
}
