package io.kvsqueeze.spring.actuate;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** {@code kvsqueeze-model}: the model is loaded and the scheduler accepts work. */
public class ModelHealthIndicator implements HealthIndicator {
    private final KvSqueezeChatModel chatModel;
    private final GenerationService generations;

    public ModelHealthIndicator(KvSqueezeChatModel chatModel, GenerationService generations) {
        this.chatModel = chatModel;
        this.generations = generations;
    }

    @Override
    public Health health() {
        InferenceEngine engine = generations.engine();
        Health.Builder health = generations.accepting() ? Health.up() : Health.down();
        return health
                .withDetail("model", chatModel.modelId())
                .withDetail("backend", "cpu")
                .withDetail("threads", engine.options().threads())
                .withDetail("contextTokens", engine.options().contextLength())
                .withDetail("loadMillis", engine.loadNanos() / 1_000_000)
                .withDetail("activeGenerations", generations.inFlight())
                .build();
    }
}
