package io.kvsqueeze.spring.api;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * One Resilience4j {@link Bulkhead} per tenant, {@code kvsqueeze-tenant-<id>}, allowing the tenant's
 * {@code max_concurrent_requests} at once and never waiting: a request over it is refused at once (429), so one
 * tenant cannot fill the scheduler's queue for the others. A tenant without the limit has no bulkhead. A changed
 * limit applies to the next request; deleted tenants' bulkheads are dropped ({@link #retainOnly}).
 */
public final class TenantBulkheads {
    public static final String NAME_PREFIX = "kvsqueeze-tenant-";

    private final BulkheadRegistry registry;

    public TenantBulkheads(BulkheadRegistry registry) {
        this.registry = registry;
    }

    /**
     * Takes a slot if the tenant is under {@code limit} (null: no limit).
     *
     * @return a permit to release exactly once, or null when the tenant is at its limit
     */
    public @Nullable Permit tryAcquire(String tenantId, @Nullable Integer limit) {
        if (limit == null) {
            registry.remove(NAME_PREFIX + tenantId);
            return new Permit(null);
        }
        Bulkhead bulkhead = registry.bulkhead(NAME_PREFIX + tenantId, () -> config(limit));
        if (bulkhead.getBulkheadConfig().getMaxConcurrentCalls() != limit) {
            bulkhead.changeConfig(config(limit));
        }
        return bulkhead.tryAcquirePermission() ? new Permit(bulkhead) : null;
    }

    /** Drops the bulkheads of every tenant not in {@code tenants} (the ones deleted). */
    public void retainOnly(Set<String> tenants) {
        for (Bulkhead bulkhead : registry.getAllBulkheads()) {
            String name = bulkhead.getName();
            if (name.startsWith(NAME_PREFIX) && !tenants.contains(name.substring(NAME_PREFIX.length()))) {
                registry.remove(name);
            }
        }
    }

    /** Whether the tenant has a bulkhead now. */
    public boolean has(String tenantId) {
        return registry.find(NAME_PREFIX + tenantId).isPresent();
    }

    private static BulkheadConfig config(int limit) {
        return BulkheadConfig.custom().maxConcurrentCalls(limit).maxWaitDuration(Duration.ZERO).build();
    }

    /** One request's slot; releasing twice releases once. */
    public static final class Permit {
        private final @Nullable Bulkhead bulkhead;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(@Nullable Bulkhead bulkhead) {
            this.bulkhead = bulkhead;
        }

        public void release() {
            if (released.compareAndSet(false, true) && bulkhead != null) {
                bulkhead.onComplete();
            }
        }
    }
}
