package io.kvsqueeze.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.model.TinyModel;
import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.engine.scheduler.SchedulerOptions;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.guard.MemoryPressureGuard;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantPolicies;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The auto-configuration's conditions and property handling, on a tiny random model (no download needed). */
class KvSqueezeAutoConfigurationTest {
    @TempDir
    static Path dir;
    static Path tinyModel;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KvSqueezeAutoConfiguration.class));

    @BeforeAll
    static void writeModel() {
        tinyModel = new TinyModel().write(dir.resolve("tiny.gguf"));
    }

    @Test
    void createsOneEngineAndAChatModelAndClosesThemWithTheContext() {
        runner.withPropertyValues("kvsqueeze.model.path=" + tinyModel, "kvsqueeze.model.threads=1",
                        "kvsqueeze.model.context-tokens=64", "kvsqueeze.chat.temperature=0", "kvsqueeze.chat.max-tokens=4")
                .run(context -> {
                    assertThat(context).hasSingleBean(InferenceEngine.class).hasSingleBean(ChatModel.class)
                            .hasSingleBean(GenerationService.class);
                    KvSqueezeChatModel chatModel = context.getBean(KvSqueezeChatModel.class);
                    assertThat(chatModel.modelId()).isEqualTo("tiny");
                    assertThat(chatModel.getOptions().getMaxTokens()).isEqualTo(4);
                    assertThat(chatModel.getOptions().getTemperature()).isEqualTo(0.0);
                    assertThat(context.getBean(InferenceEngine.class).options().contextLength()).isEqualTo(64);
                    assertThat(chatModel.call("hi")).isNotNull();
                });
    }

    @Test
    void refusesAnUnknownKvPolicyNamingTheProperty() {
        runner.withPropertyValues("kvsqueeze.model.path=" + tinyModel, "kvsqueeze.kv-policy=snapkv-lite")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("kvsqueeze.kv-policy")
                        .hasMessageContaining("snapkv-lite"));
    }

    @Test
    void failsToStartWithAMessageNamingAMissingModel() {
        runner.withPropertyValues("kvsqueeze.model.path=" + dir.resolve("absent.gguf"))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("model file not found").hasMessageContaining("absent.gguf"));
    }

    @Test
    void backsOffForTheApplicationsOwnBeans() {
        TenantPolicies own = tenant -> KvPolicy.full();
        runner.withPropertyValues("kvsqueeze.model.path=" + tinyModel, "kvsqueeze.model.threads=1")
                .withBean(TenantPolicies.class, () -> own)
                .run(context -> assertThat(context.getBean(TenantPolicies.class)).isSameAs(own));
    }

    @Test
    void buildsTheSchedulerFromThePoolAndSchedulerProperties() {
        runner.withPropertyValues("kvsqueeze.model.path=" + tinyModel, "kvsqueeze.model.threads=1",
                        "kvsqueeze.kv-pool=64MB", "kvsqueeze.scheduler.max-running=3", "kvsqueeze.scheduler.max-queued=5",
                        "kvsqueeze.scheduler.queue-timeout=7s", "kvsqueeze.scheduler.prefill-tokens=8")
                .run(context -> {
                    Scheduler scheduler = context.getBean(Scheduler.class);
                    assertThat(scheduler.options()).isEqualTo(new SchedulerOptions(64L << 20, 3, 5,
                            java.time.Duration.ofSeconds(7), 8));
                    assertThat(context).hasSingleBean(MemoryPressureGuard.class);
                    context.close();
                    assertThat(scheduler.isClosed()).as("closed with the context").isTrue();
                });
    }

    @Test
    void refusesSchedulerSettingsThatCouldNotWorkNamingTheProperty() {
        for (String bad : new String[] {"kvsqueeze.scheduler.max-queued=0", "kvsqueeze.scheduler.queue-timeout=0s",
                "kvsqueeze.kv-pool=0B", "kvsqueeze.guard.kv-pool-low-watermark=0.99"}) {
            runner.withPropertyValues("kvsqueeze.model.path=" + tinyModel, "kvsqueeze.model.threads=1", bad)
                    .run(context -> assertThat(context).as(bad).hasFailed().getFailure().rootCause()
                            .hasMessageContaining(bad.substring(0, bad.indexOf('=')).replace("kvsqueeze.scheduler.", "")
                                    .replace("kvsqueeze.guard.", "")));
        }
    }
}
