package io.kvsqueeze.spring.actuate;

import io.kvsqueeze.spring.tenant.TenantDirectory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code kvsqueeze-tenants}: whether this replica's copy of tenants, policies and keys is current. DOWN while the
 * database cannot be read; chat keeps working on the last copy meanwhile, which the details say.
 */
public class TenantDirectoryHealthIndicator implements HealthIndicator {
    private final TenantDirectory directory;

    public TenantDirectoryHealthIndicator(TenantDirectory directory) {
        this.directory = directory;
    }

    @Override
    public Health health() {
        Health.Builder health = directory.lastFailure().isPresent() ? Health.down() : Health.up();
        directory.lastFailure().ifPresent(failure -> health
                .withDetail("error", failure)
                .withDetail("servingLastKnownSince", directory.lastSuccessfulRefresh().toString()));
        return health
                .withDetail("version", directory.version())
                .withDetail("tenants", directory.tenantCount())
                .withDetail("lastSuccessfulRefresh", directory.lastSuccessfulRefresh().toString())
                .build();
    }
}
