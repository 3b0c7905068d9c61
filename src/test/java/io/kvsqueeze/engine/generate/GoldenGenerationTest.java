package io.kvsqueeze.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.chat.ChatMessage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reference model against llama.cpp itself (goldens made by src/test/resources/golden/make_generation_goldens.py;
 * docs/testing.md explains the criteria). For each prompt: the rendered chat template and the prompt's token ids
 * are identical; and, feeding llama.cpp's own greedy tokens, llama.cpp's choice at each of the first 32 steps is
 * our most likely token at least 90% of the time, and never more than {@link #TOLERANCE} logits below it. For
 * scale: llama.cpp disagrees with itself by up to 1.06 in its top-5 logits when the same prompt is fed one token
 * at a time instead of in one batch, and its greedy output then flips after 5 to 8 tokens on 3 of these 8 prompts,
 * so token-for-token identity of free-running output is not a property llama.cpp itself has.
 */
class GoldenGenerationTest {
    private static final int STEPS = 32;
    private static final double TOLERANCE = 0.5;
    private static final double MIN_AGREEMENT = 0.9;

    private static InferenceEngine engine;

    @BeforeAll
    static void load() {
        engine = InferenceEngine.load(ReferenceModel.pathOrSkip(), new EngineOptions(2, 512, 32));
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @TestFactory
    List<DynamicTest> agreesWithLlamaCpp() throws Exception {
        JsonNode goldens;
        try (InputStream in = getClass().getResourceAsStream("/golden/generation-smollm2.json")) {
            goldens = JsonMapper.builder().build().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode golden : goldens.get("cases")) {
            String name = golden.get("kind").asString() + ": " + (golden.has("prompt")
                    ? golden.get("prompt").asString() : golden.get("messages").toString());
            tests.add(DynamicTest.dynamicTest(name, () -> check(golden)));
        }
        return tests;
    }

    private static void check(JsonNode golden) {
        int[] prompt = promptIds(golden);
        assertThat(prompt).as("prompt token ids").containsExactly(ints(golden.get("prompt_ids")));

        int[] expected = ints(golden.get("generated_ids"));
        Sequence sequence = engine.newSequence();
        float[] logits = sequence.prefill(prompt);
        int steps = Math.min(STEPS, expected.length);
        int agreements = 0;
        double worstDeficit = 0;
        for (int step = 0; step < steps; step++) {
            int ours = argmax(logits);
            int theirs = expected[step];
            double deficit = logits[ours] - logits[theirs];
            worstDeficit = Math.max(worstDeficit, deficit);
            assertThat(deficit).as("step %d: llama.cpp chose %d (our logit %.3f), we prefer %d (%.3f)",
                    step, theirs, logits[theirs], ours, logits[ours]).isLessThanOrEqualTo(TOLERANCE);
            if (ours == theirs) {
                agreements++;
            }
            if (step + 1 < expected.length) {
                logits = sequence.append(theirs);
            }
        }
        assertThat(agreements).as("top-1 agreement over %d steps (worst deficit %.3f)", steps, worstDeficit)
                .isGreaterThanOrEqualTo((int) Math.ceil(MIN_AGREEMENT * steps));
    }

    private static int[] promptIds(JsonNode golden) {
        if (!golden.get("kind").asString().equals("chat")) {
            return engine.tokenizer().encode(golden.get("prompt").asString(), true, true);
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : golden.get("messages")) {
            messages.add(new ChatMessage(m.get("role").asString(), m.get("content").asString()));
        }
        String rendered = engine.chatTemplate().render(messages, true);
        assertThat(rendered).as("rendered chat template").isEqualTo(golden.get("rendered").asString());
        return engine.tokenizer().encode(rendered, true, true);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }
}
