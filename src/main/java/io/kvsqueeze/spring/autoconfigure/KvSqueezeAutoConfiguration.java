package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.engine.scheduler.SchedulerStats;
import io.kvsqueeze.spring.actuate.SchedulerMetrics;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.spring.ai.AdmissionGuard;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.guard.HeapProbe;
import io.kvsqueeze.spring.guard.KvSqueezeGuard;
import io.kvsqueeze.spring.guard.MemoryPressureGuard;
import io.kvsqueeze.spring.guard.TenantQuotaBreakers;
import io.kvsqueeze.spring.tenant.GuardMode;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.ai.KvSqueezeChatOptions;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantPolicies;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The in-process model: the engine (loaded once, closed at shutdown), the queue its generations run on, and a
 * Spring AI {@link ChatModel} on top. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(after = KvSqueezeTenantAutoConfiguration.class, afterName =
        "io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration")
@ConditionalOnClass(ChatModel.class)
@EnableConfigurationProperties(KvSqueezeProperties.class)
public class KvSqueezeAutoConfiguration {
    private static final Log log = LogFactory.getLog(KvSqueezeAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public InferenceEngine kvSqueezeInferenceEngine(KvSqueezeProperties properties) {
        KvSqueezeProperties.Model model = properties.model();
        InferenceEngine engine = InferenceEngine.load(model.resolvedPath(), model.engineOptions());
        log.info("KVSqueeze loaded " + model.resolvedPath() + " in " + engine.loadNanos() / 1_000_000 + " ms ("
                + model.backend().name().toLowerCase() + " backend: cpu, " + engine.options().threads()
                + " threads, " + engine.options().contextLength() + " context tokens)");
        return engine;
    }

    /** Batches every generation of the application under one KV pool; closed before the engine. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Scheduler kvSqueezeScheduler(InferenceEngine engine, KvSqueezeProperties properties) {
        return new Scheduler(engine, properties.schedulerOptions());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        SchedulerMetrics kvSqueezeSchedulerMetrics(Scheduler scheduler) {
            return new SchedulerMetrics(scheduler);
        }
    }

    @Bean
    @ConditionalOnMissingBean
    public GenerationService kvSqueezeGenerationService(InferenceEngine engine, Scheduler scheduler) {
        return new GenerationService(engine, scheduler);
    }

    /** Every generation gets {@code kvsqueeze.kv-policy} unless tenants are configured to have their own. */
    @Bean
    @ConditionalOnMissingBean
    public TenantPolicies kvSqueezeTenantPolicies(KvSqueezeProperties properties) {
        return TenantPolicies.fixed(KvPolicy.parse("kvsqueeze.kv-policy", properties.kvPolicy()));
    }

    @Bean
    @ConditionalOnMissingBean
    public KvSqueezeChatModel kvSqueezeChatModel(GenerationService generations, KvSqueezeProperties properties,
                                                 TenantPolicies policies,
                                                 ObjectProvider<ObservationRegistry> observationRegistry,
                                                 ObjectProvider<ChatModelObservationConvention> observationConvention,
                                                 ObjectProvider<MeterRegistry> meterRegistry,
                                                 ObjectProvider<AdmissionGuard> admissionGuard) {
        KvSqueezeProperties.Chat chat = properties.chat();
        KvSqueezeChatOptions defaults = KvSqueezeChatOptions.builder()
                .maxTokens(chat.maxTokens())
                .temperature(chat.temperature())
                .topK(chat.topK())
                .topP(chat.topP())
                .minP(chat.minP())
                .seed(chat.seed())
                .build();
        KvSqueezeChatModel chatModel = new KvSqueezeChatModel(generations, properties.model().resolvedId(), defaults,
                policies, observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP));
        observationConvention.ifAvailable(chatModel::setObservationConvention);
        chatModel.setTenantMetrics(new TenantMetrics(meterRegistry.getIfUnique()));
        admissionGuard.ifUnique(chatModel::setAdmissionGuard);
        return chatModel;
    }

    /**
     * The guards, when Resilience4j is on the classpath (it is a dependency of the starter): the memory-pressure
     * breaker and the tenants' KV-quota breakers, combined into the chat model's {@link AdmissionGuard}.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(CircuitBreakerRegistry.class)
    @ConditionalOnProperty(prefix = "kvsqueeze.guard", name = "enabled", matchIfMissing = true)
    static class Guards {

        @Bean
        @ConditionalOnMissingBean(AdmissionGuard.class)
        KvSqueezeGuard kvSqueezeGuard(ObjectProvider<MemoryPressureGuard> memory,
                                      ObjectProvider<TenantQuotaBreakers> tenantBreakers,
                                      ObjectProvider<TenantDirectory> directory, KvSqueezeProperties properties,
                                      ObjectProvider<MeterRegistry> meterRegistry) {
            TenantDirectory tenants = directory.getIfUnique();
            Function<String, @Nullable GuardMode> tenantModes = tenants == null ? tenant -> null
                    : tenant -> tenants.tenant(tenant).map(t -> t.limits().guardMode()).orElse(null);
            return new KvSqueezeGuard(memory.getIfUnique(), tenantBreakers.getIfUnique(), properties.guard().mode(),
                    tenantModes, new TenantMetrics(meterRegistry.getIfUnique()));
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnProperty(prefix = "kvsqueeze.guard.tenant-breaker", name = "enabled", matchIfMissing = true)
        TenantQuotaBreakers kvSqueezeTenantQuotaBreakers(KvSqueezeProperties properties,
                                                         ObjectProvider<CircuitBreakerRegistry> registry) {
            return new TenantQuotaBreakers(registry.getIfAvailable(CircuitBreakerRegistry::ofDefaults),
                    properties.guard().tenantBreaker().settings());
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        MemoryPressureGuard kvSqueezeMemoryPressureGuard(Scheduler scheduler, KvSqueezeProperties properties,
                                                         ObjectProvider<CircuitBreakerRegistry> registry) {
            KvSqueezeProperties.Guard guard = properties.guard();
            // The pool's fill level: admission never lets it overflow, so near the top the breaker refuses new
            // requests at once instead of letting them wait in the queue.
            long capacity = scheduler.stats().kvPoolCapacityBytes();
            if (!(guard.kvPoolLowWatermark() > 0 && guard.kvPoolLowWatermark() <= guard.kvPoolHighWatermark()
                    && guard.kvPoolHighWatermark() <= 1)) {
                throw new IllegalArgumentException("kvsqueeze.guard.kv-pool-low-watermark ("
                        + guard.kvPoolLowWatermark() + ") and kv-pool-high-watermark (" + guard.kvPoolHighWatermark()
                        + ") need 0 < low <= high <= 1");
            }
            MemoryPressureGuard.Watermarks watermarks = new MemoryPressureGuard.Watermarks(
                    guard.heapHighWatermark(), guard.heapLowWatermark(),
                    (long) (capacity * guard.kvPoolHighWatermark()), (long) (capacity * guard.kvPoolLowWatermark()));
            // Resilience4j's registry when its auto-configuration runs, so the breaker shows in its metrics and health.
            CircuitBreaker breaker = registry.getIfAvailable(CircuitBreakerRegistry::ofDefaults)
                    .circuitBreaker(MemoryPressureGuard.BREAKER_NAME);
            return new MemoryPressureGuard(breaker,
                    // Parked sequences do not count: admission takes their pages back whenever it needs them.
                    MemoryPressureGuard.MemoryProbe.of(HeapProbe::usedFraction, () -> {
                        SchedulerStats stats = scheduler.stats();
                        return stats.kvPoolUsedBytes() - stats.kvParkedBytes();
                    }),
                    watermarks, guard.sampleInterval());
        }
    }
}
