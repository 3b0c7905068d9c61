package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.spring.ai.GenerationWorker;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.api.OpenAiChatController;
import io.kvsqueeze.spring.api.TenantApiKeyFilter;
import io.kvsqueeze.spring.api.TenantConcurrency;
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
@AutoConfiguration(after = {KvSqueezeAutoConfiguration.class, KvSqueezeTenantAutoConfiguration.class})
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

    @Bean
    @ConditionalOnMissingBean
    public TenantConcurrency kvSqueezeTenantConcurrency() {
        return new TenantConcurrency();
    }

    @Bean
    @ConditionalOnMissingBean
    public OpenAiChatController kvSqueezeOpenAiChatController(KvSqueezeChatModel chatModel, GenerationWorker worker,
                                                              TenantDirectory directory, TenantConcurrency concurrency,
                                                              ObjectProvider<JsonMapper> jsonMapper,
                                                              KvSqueezeProperties properties,
                                                              ObjectProvider<MeterRegistry> meterRegistry) {
        return new OpenAiChatController(chatModel, worker, directory, concurrency,
                jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()), properties.api().streamTimeout(),
                new TenantMetrics(meterRegistry.getIfUnique()));
    }
}
