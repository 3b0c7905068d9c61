package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.spring.actuate.GuardHealthIndicator;
import io.kvsqueeze.spring.actuate.KvPoolHealthIndicator;
import io.kvsqueeze.spring.actuate.ModelHealthIndicator;
import io.kvsqueeze.spring.actuate.TenantDirectoryHealthIndicator;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.guard.KvSqueezeGuard;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator health: {@code kvsqueeze-model}, {@code kvsqueeze-kv-pool} (the scheduler and its pool), with tenants
 * {@code kvsqueeze-tenants}, and with the starter's guard {@code kvsqueeze-guard} (its breakers). The readiness
 * group is the application's to define; {@code ./kvsqueeze serve} and the Helm chart put the model, the pool and
 * the guard in it, not the database: chat goes on without it.
 */
@AutoConfiguration(after = {KvSqueezeAutoConfiguration.class, KvSqueezeTenantAutoConfiguration.class})
@ConditionalOnClass(HealthIndicator.class)
public class KvSqueezeHealthAutoConfiguration {

    @Bean(name = "kvsqueeze-modelHealthIndicator")
    @ConditionalOnBean({KvSqueezeChatModel.class, GenerationService.class})
    @ConditionalOnMissingBean(ModelHealthIndicator.class)
    public ModelHealthIndicator kvSqueezeModelHealthIndicator(KvSqueezeChatModel chatModel,
                                                              GenerationService generations) {
        return new ModelHealthIndicator(chatModel, generations);
    }

    @Bean(name = "kvsqueeze-kv-poolHealthIndicator")
    @ConditionalOnBean(Scheduler.class)
    @ConditionalOnMissingBean(KvPoolHealthIndicator.class)
    public KvPoolHealthIndicator kvSqueezeKvPoolHealthIndicator(Scheduler scheduler) {
        return new KvPoolHealthIndicator(scheduler);
    }

    @Bean(name = "kvsqueeze-guardHealthIndicator")
    @ConditionalOnBean(KvSqueezeGuard.class)
    @ConditionalOnMissingBean(GuardHealthIndicator.class)
    public GuardHealthIndicator kvSqueezeGuardHealthIndicator(KvSqueezeGuard guard) {
        return new GuardHealthIndicator(guard);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(TenantDirectory.class)
    static class Tenants {
        @Bean(name = "kvsqueeze-tenantsHealthIndicator")
        @ConditionalOnMissingBean(TenantDirectoryHealthIndicator.class)
        public TenantDirectoryHealthIndicator kvSqueezeTenantDirectoryHealthIndicator(TenantDirectory directory) {
            return new TenantDirectoryHealthIndicator(directory);
        }
    }
}
