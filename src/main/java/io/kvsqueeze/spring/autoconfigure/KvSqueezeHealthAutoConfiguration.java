package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.spring.actuate.GuardHealthIndicator;
import io.kvsqueeze.spring.actuate.ModelHealthIndicator;
import io.kvsqueeze.spring.actuate.TenantDirectoryHealthIndicator;
import io.kvsqueeze.spring.ai.GenerationWorker;
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
 * Actuator health: {@code kvsqueeze-model}, with tenants {@code kvsqueeze-tenants}, and with the starter's guard
 * {@code kvsqueeze-guard} (its breakers; add it to the readiness group to take a replica out under memory pressure).
 */
@AutoConfiguration(after = {KvSqueezeAutoConfiguration.class, KvSqueezeTenantAutoConfiguration.class})
@ConditionalOnClass(HealthIndicator.class)
public class KvSqueezeHealthAutoConfiguration {

    @Bean(name = "kvsqueeze-modelHealthIndicator")
    @ConditionalOnBean({KvSqueezeChatModel.class, GenerationWorker.class})
    @ConditionalOnMissingBean(ModelHealthIndicator.class)
    public ModelHealthIndicator kvSqueezeModelHealthIndicator(KvSqueezeChatModel chatModel, GenerationWorker worker) {
        return new ModelHealthIndicator(chatModel, worker);
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
