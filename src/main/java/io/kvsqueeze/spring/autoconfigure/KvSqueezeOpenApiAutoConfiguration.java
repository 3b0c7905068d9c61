package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.spring.admin.AdminDtos;
import io.kvsqueeze.spring.openapi.KvSqueezeOpenApi;
import io.kvsqueeze.spring.api.OpenAiSchemas;
import java.util.ArrayList;
import java.util.List;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The starter's part of the OpenAPI document, when springdoc is on the classpath. */
@AutoConfiguration
@ConditionalOnClass(OpenApiCustomizer.class)
public class KvSqueezeOpenApiAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public KvSqueezeOpenApi kvSqueezeOpenApi() {
        List<Class<?>> documents = new ArrayList<>(List.of(AdminDtos.class.getDeclaredClasses()));
        documents.addAll(OpenAiSchemas.types());
        return new KvSqueezeOpenApi(documents);
    }
}
