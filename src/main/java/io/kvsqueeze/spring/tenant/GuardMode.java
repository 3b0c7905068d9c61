package io.kvsqueeze.spring.tenant;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What a guard's circuit breaker does to a request while it is open.
 */
public enum GuardMode {
    /** Refuse it: {@code 503} with {@code Retry-After} on the API, an {@code OverloadedException} in code. */
    REJECT,
    /**
     * Run it under a stronger policy: the tenant's policy with half its budget ({@code snapkv} at ratio 0.5
     * for {@code full}).
     */
    DEGRADE;

    /** The name as written in properties, the database and the admin API. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param field where the value came from, for the error message
     * @return null for null (inherit the global mode)
     */
    public static @Nullable GuardMode parse(String field, @Nullable String value) {
        if (value == null) {
            return null;
        }
        for (GuardMode mode : values()) {
            if (mode.value().equals(value.strip())) {
                return mode;
            }
        }
        throw new InvalidTenantException(field, field + " must be 'reject' or 'degrade' (or null for"
                + " kvsqueeze.guard.mode), got '" + value + "'");
    }
}
