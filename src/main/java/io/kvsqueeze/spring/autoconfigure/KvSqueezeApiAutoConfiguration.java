package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.api.OpenAiChatController;
import io.kvsqueeze.spring.api.TenantApiKeyFilter;
import io.kvsqueeze.spring.api.TenantBulkheads;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.kvsqueeze.spring.guard.TenantQuotaBreakers;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAI-compatible API under {@code /v1}, authenticated by tenant API keys. */
@AutoConfiguration(after = {KvSqueezeAutoConfiguration.class, KvSqueezeTenantAutoConfiguration.class}, afterName =
        "io.github.resilience4j.springboot.bulkhead.autoconfigure.BulkheadAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean({KvSqueezeChatModel.class, TenantDirectory.class})
@ConditionalOnProperty(prefix = "kvsqueeze.api", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(KvSqueezeProperties.class)
public class KvSqueezeApiAutoConfiguration {

    @Bean
    public FilterRegistrationBean<TenantApiKeyFilter> kvSqueezeTenantApiKeyFilter(TenantDirectory directory) {
        FilterRegistrationBean<TenantApiKeyFilter> registration =
                new FilterRegistrationBean<>(new TenantApiKeyFilter(directory));
        registration.addUrlPatterns("/v1/*");
        registration.setName("kvSqueezeTenantApiKey");
        return registration;
    }

    /** Resilience4j's registry when its auto-configuration runs, so the bulkheads show in its metrics. */
    @Bean
    @ConditionalOnMissingBean
    public TenantBulkheads kvSqueezeTenantBulkheads(ObjectProvider<BulkheadRegistry> registry, TenantDirectory directory,
                                                    ObjectProvider<TenantQuotaBreakers> breakers) {
        TenantBulkheads bulkheads = new TenantBulkheads(registry.getIfAvailable(BulkheadRegistry::ofDefaults));
        // A deleted tenant's bulkhead and KV-quota breaker go with it, on this replica and on every other.
        directory.onChange(bulkheads::retainOnly);
        breakers.ifAvailable(quotaBreakers -> directory.onChange(quotaBreakers::retainOnly));
        return bulkheads;
    }

    @Bean
    @ConditionalOnMissingBean
    public OpenAiChatController kvSqueezeOpenAiChatController(KvSqueezeChatModel chatModel,
                                                              GenerationService generations,
                                                              TenantDirectory directory, TenantBulkheads bulkheads,
                                                              ObjectProvider<JsonMapper> jsonMapper,
                                                              KvSqueezeProperties properties,
                                                              ObjectProvider<MeterRegistry> meterRegistry) {
        return new OpenAiChatController(chatModel, generations, directory, bulkheads,
                jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()), properties.api().streamTimeout(),
                properties.scheduler().retryAfter(), new TenantMetrics(meterRegistry.getIfUnique()));
    }
}
