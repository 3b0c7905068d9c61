package io.kvsqueeze.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.generate.GenerationResult;
import io.kvsqueeze.engine.generate.Generator;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import io.kvsqueeze.spring.tenant.TenantContext;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;

/** The starter's ChatModel, injected into a plain application, against the engine driven directly. */
@KvSqueezeSpringBootTest
class KvSqueezeChatModelTest {
    private static final String QUESTION = "What is the capital of France?";

    @Autowired
    ChatModel chatModel;

    @Autowired
    InferenceEngine engine;

    @Autowired
    MeterRegistry meters;

    /**
     * What the engine itself produces for the conversation, as the CLI drives it. Called only when the starter's
     * queue is idle (after a blocking call returned), since the engine runs one sequence at a time.
     */
    private GenerationResult direct(List<ChatMessage> messages, GenerationRequest request) {
        int[] ids = engine.tokenizer().encode(engine.chatTemplate().render(messages, true), true, true);
        return new Generator(engine).generate(engine.newSequence(), ids, request, text -> { });
    }

    @Test
    void answersWithTheEnginesGreedyReplyAndUsage() {
        ChatResponse response = chatModel.call(new Prompt(List.of(new SystemMessage("Be brief."), new UserMessage(QUESTION))));

        GenerationResult expected = direct(List.of(ChatMessage.system("Be brief."), ChatMessage.user(QUESTION)),
                GenerationRequest.greedy(KvSqueezeSpringBootTest.MAX_TOKENS));
        assertThat(response.getResult().getOutput().getText()).isEqualTo(expected.text()).isNotBlank();
        assertThat(response.getResult().getMetadata().getFinishReason())
                .isEqualTo(KvSqueezeChatModel.finishReason(expected.finishReason()));
        assertThat(response.getMetadata().getUsage().getPromptTokens()).isEqualTo(expected.promptTokens());
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(expected.tokenIds().length);
        assertThat(response.getMetadata().getModel()).isEqualTo("SmolLM2-135M-Instruct.Q4_1");
        assertThat((String) response.getMetadata().get(KvSqueezeChatModel.KV_POLICY)).isEqualTo("full");
        long kvBytes = response.getMetadata().get(KvSqueezeChatModel.KV_BYTES);
        long kvBytesFull = response.getMetadata().get(KvSqueezeChatModel.KV_BYTES_FULL);
        assertThat(kvBytes).isPositive().isEqualTo(kvBytesFull);
    }

    @Test
    void honoursMaxTokensStopSequencesAndSampling() {
        ChatOptions options = KvSqueezeChatOptions.builder().maxTokens(3).build();
        ChatResponse three = chatModel.call(new Prompt(QUESTION, options));
        assertThat(three.getMetadata().getUsage().getCompletionTokens()).isEqualTo(3);

        String greedy = chatModel.call(new Prompt(QUESTION)).getResult().getOutput().getText();
        String stop = greedy.substring(greedy.length() / 2, greedy.length() / 2 + 1);
        ChatResponse stopped = chatModel.call(new Prompt(QUESTION,
                ChatOptions.builder().stopSequences(List.of(stop)).build()));
        assertThat(stopped.getResult().getOutput().getText()).isEqualTo(greedy.substring(0, greedy.indexOf(stop)));
        assertThat(stopped.getResult().getMetadata().getFinishReason()).isEqualTo("stop");

        // Seeded sampling is reproducible and is the engine's own sampling with the same options.
        ChatOptions sampled = KvSqueezeChatOptions.builder().temperature(1.5).topK(50).topP(0.9).minP(0.0).seed(42L)
                .maxTokens(KvSqueezeSpringBootTest.MAX_TOKENS).build();
        String first = chatModel.call(new Prompt(QUESTION, sampled)).getResult().getOutput().getText();
        String second = chatModel.call(new Prompt(QUESTION, sampled)).getResult().getOutput().getText();
        GenerationResult expected = direct(List.of(ChatMessage.user(QUESTION)), new GenerationRequest(KvSqueezeSpringBootTest.MAX_TOKENS,
                new SamplingOptions(1.5f, 50, 0.9f, 0f, 1f, 64, 42L), List.of()));
        assertThat(first).isEqualTo(second).isEqualTo(expected.text());
    }

    @Test
    void rejectsInvalidOptions() {
        assertThatThrownBy(() -> chatModel.call(new Prompt(QUESTION, ChatOptions.builder().topP(0.0).build())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topP");
    }

    @Test
    void streamsTheSameTextThenFinishReasonAndUsage() {
        String whole = chatModel.call(new Prompt(QUESTION)).getResult().getOutput().getText();

        List<ChatResponse> chunks = chatModel.stream(new Prompt(QUESTION)).collectList().block();

        assertThat(chunks).hasSizeGreaterThan(2);
        StringBuilder text = new StringBuilder();
        chunks.forEach(chunk -> text.append(chunk.getResult().getOutput().getText()));
        assertThat(text.toString()).isEqualTo(whole);
        ChatResponse last = chunks.getLast();
        assertThat(last.getResult().getMetadata().getFinishReason()).isEqualTo("length");
        assertThat(last.getMetadata().getUsage().getCompletionTokens()).isEqualTo(KvSqueezeSpringBootTest.MAX_TOKENS);
        assertThat(chunks.getFirst().getResult().getMetadata().getFinishReason()).isNull();
    }

    @Test
    void cancellingAStreamStopsItsGeneration() {
        ChatOptions longReply = ChatOptions.builder().maxTokens(200).build();
        List<ChatResponse> firstTwo = chatModel.stream(new Prompt(QUESTION, longReply)).take(2).collectList().block();
        assertThat(firstTwo).hasSize(2);
        // The queue is free again at once: a cancelled 200-token generation does not run to its end.
        ChatResponse next = chatModel.call(new Prompt(QUESTION));
        assertThat(next.getMetadata().getUsage().getCompletionTokens()).isEqualTo(KvSqueezeSpringBootTest.MAX_TOKENS);
    }

    @Test
    void concurrentCallsAreSerialisedAndEachGetsItsOwnAnswer() throws Exception {
        List<String> questions = List.of(QUESTION, "Name a colour.", "Say hello.", "What is 2+2?");
        List<String> alone = new ArrayList<>();
        for (String question : questions) {
            alone.add(chatModel.call(question));
        }
        ExecutorService callers = Executors.newFixedThreadPool(questions.size());
        try {
            List<Future<String>> replies = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (String question : questions) {
                    Callable<String> call = round == 0
                            ? () -> chatModel.call(question)
                            : () -> String.join("", chatModel.stream(question).collectList().block());
                    replies.add(callers.submit(call));
                }
            }
            for (int i = 0; i < replies.size(); i++) {
                assertThat(replies.get(i).get()).isEqualTo(alone.get(i % questions.size()));
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void tenantsDoNotChangeAnswers() {
        String none = chatModel.call(QUESTION);
        String acme = TenantContext.callAs("acme", () -> chatModel.call(QUESTION));
        String globex = TenantContext.callAs("globex", () -> chatModel.call(QUESTION));
        assertThat(acme).isEqualTo(none).isEqualTo(globex);
        assertThat(TenantContext.current()).isEmpty();
    }

    @Test
    void recordsSpringAiObservations() {
        chatModel.call(QUESTION);
        assertThat(meters.find("gen_ai.client.operation").tag("gen_ai.system", "kvsqueeze").timer())
                .isNotNull()
                .satisfies(timer -> assertThat(timer.count()).isPositive());
        assertThat(meters.find("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").counter())
                .isNotNull()
                .satisfies(counter -> assertThat(counter.count()).isPositive());
    }

    @Test
    void flowThroughChatClientStyleStreamingOfStrings() {
        Flux<String> texts = chatModel.stream(new UserMessage(QUESTION));
        assertThat(String.join("", texts.collectList().block())).isEqualTo(chatModel.call(QUESTION));
    }
}
