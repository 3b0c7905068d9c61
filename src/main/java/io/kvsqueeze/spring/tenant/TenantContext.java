package io.kvsqueeze.spring.tenant;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The tenant on whose behalf the current thread generates. The web layer sets it from the request's API key;
 * application code sets it explicitly around its own calls:
 *
 * <pre>{@code
 * String reply = TenantContext.callAs("acme", () -> chatModel.call("Hello"));
 * }</pre>
 *
 * The chat model reads it when a call or stream is made (on the caller's thread), so a {@code Flux} keeps the
 * tenant it was created for whichever thread later subscribes to it.
 */
public final class TenantContext {
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private TenantContext() {
    }

    /** The current thread's tenant, if one is set. */
    public static Optional<String> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Runs {@code work} as {@code tenantId} and restores the previous tenant afterwards. */
    public static <T> T callAs(String tenantId, Supplier<T> work) {
        try (Scope ignored = open(tenantId)) {
            return work.get();
        }
    }

    /** Runs {@code work} as {@code tenantId} and restores the previous tenant afterwards. */
    public static void runAs(String tenantId, Runnable work) {
        try (Scope ignored = open(tenantId)) {
            work.run();
        }
    }

    /** Sets the tenant until the returned scope is closed, for filters that wrap a whole request. */
    public static Scope open(String tenantId) {
        Objects.requireNonNull(tenantId, "tenantId");
        String previous = CURRENT.get();
        CURRENT.set(tenantId);
        return new Scope(previous);
    }

    /** Restores the tenant that was current before {@link #open}. */
    public static final class Scope implements AutoCloseable {
        private final String previous;

        private Scope(String previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
