package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.engine.ModelLocations;
import io.kvsqueeze.spring.admin.AdminAuthenticationFilter;
import io.kvsqueeze.spring.admin.AdminController;
import io.kvsqueeze.spring.admin.AdminExceptionHandler;
import io.kvsqueeze.spring.admin.AdminToken;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantRepository;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/** The admin API under {@code /admin/v1}, behind the admin token. */
@AutoConfiguration(after = KvSqueezeTenantAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean({TenantRepository.class, TenantDirectory.class})
@ConditionalOnProperty(prefix = "kvsqueeze.admin", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(KvSqueezeProperties.class)
public class KvSqueezeAdminAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public AdminToken kvSqueezeAdminToken(KvSqueezeProperties properties) {
        return AdminToken.resolve(properties.admin().token(), ModelLocations.home());
    }

    @Bean
    public FilterRegistrationBean<AdminAuthenticationFilter> kvSqueezeAdminAuthenticationFilter(AdminToken token) {
        FilterRegistrationBean<AdminAuthenticationFilter> registration =
                new FilterRegistrationBean<>(new AdminAuthenticationFilter(token));
        registration.addUrlPatterns("/admin/v1/*");
        registration.setName("kvSqueezeAdminAuthentication");
        return registration;
    }

    @Bean
    @ConditionalOnMissingBean
    public AdminController kvSqueezeAdminController(TenantRepository tenants, TenantDirectory directory,
                                                    KvSqueezeProperties properties) {
        return new AdminController(tenants, directory, KvPolicy.parse("kvsqueeze.kv-policy", properties.kvPolicy()));
    }

    @Bean
    @ConditionalOnMissingBean
    public AdminExceptionHandler kvSqueezeAdminExceptionHandler() {
        return new AdminExceptionHandler();
    }
}
