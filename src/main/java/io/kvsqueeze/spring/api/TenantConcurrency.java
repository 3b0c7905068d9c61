package io.kvsqueeze.spring.api;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** Requests in flight per tenant, against each tenant's {@code max_concurrent_requests}. */
public final class TenantConcurrency {
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /**
     * Takes a slot if the tenant is under {@code limit} (null: no limit).
     *
     * @return a permit to release exactly once, or null when the tenant is at its limit
     */
    public @Nullable Permit tryAcquire(String tenantId, @Nullable Integer limit) {
        AtomicInteger count = inFlight.computeIfAbsent(tenantId, id -> new AtomicInteger());
        while (true) {
            int current = count.get();
            if (limit != null && current >= limit) {
                return null;
            }
            if (count.compareAndSet(current, current + 1)) {
                return new Permit(count);
            }
        }
    }

    public int inFlight(String tenantId) {
        AtomicInteger count = inFlight.get(tenantId);
        return count == null ? 0 : count.get();
    }

    /** One request's slot; releasing twice releases once. */
    public static final class Permit {
        private final AtomicInteger count;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        private Permit(AtomicInteger count) {
            this.count = count;
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        }
    }
}
