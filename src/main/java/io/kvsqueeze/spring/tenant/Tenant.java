package io.kvsqueeze.spring.tenant;

import java.time.Instant;

/**
 * A tenant as stored.
 *
 * @param kvPolicyVersion increases with every change of {@code kvPolicy}; starts at 1
 */
public record Tenant(String id, String displayName, TenantLimits limits, KvPolicy kvPolicy, long kvPolicyVersion,
                     Instant createdAt, Instant updatedAt) {
}
