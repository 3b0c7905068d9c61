package io.kvsqueeze.spring.tenant;

import org.jspecify.annotations.Nullable;

/** The KV policy that applies to a tenant's generations. */
@FunctionalInterface
public interface TenantPolicies {

    /** @param tenantId the tenant, or null for calls made outside any tenant */
    KvPolicy kvPolicy(@Nullable String tenantId);

    /** Every tenant, and calls without one, get {@code policy}. */
    static TenantPolicies fixed(KvPolicy policy) {
        return tenantId -> policy;
    }
}
