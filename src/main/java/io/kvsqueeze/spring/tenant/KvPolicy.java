package io.kvsqueeze.spring.tenant;

import io.kvsqueeze.engine.compress.KvPolicyException;

/**
 * A KV cache policy as written in configuration or sent to the admin API: a preset name ({@code full},
 * {@code snapkv}, {@code ada-snapkv}, ...) or a JSON policy, checked by the engine's parser when it is read, so
 * a bad policy is refused with a message naming where it came from and which field is wrong.
 *
 * @param source the policy as written, trimmed
 */
public record KvPolicy(String source) {
    public static final String FULL = "full";

    /**
     * @param field where the value came from (a property or a JSON field), for the error message
     * @throws IllegalArgumentException for an empty value or one the engine's policy parser rejects
     */
    public static KvPolicy parse(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be empty: give a preset such as '" + FULL
                    + "' or 'snapkv', or a JSON policy");
        }
        String trimmed = value.strip();
        try {
            io.kvsqueeze.engine.compress.KvPolicy.parse(trimmed);
        } catch (KvPolicyException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage()); // the message says it all
        }
        return new KvPolicy(trimmed);
    }

    public static KvPolicy full() {
        return new KvPolicy(FULL);
    }

    /** The engine's policy: what a sequence of this tenant is compressed with. */
    public io.kvsqueeze.engine.compress.KvPolicy engine() {
        return io.kvsqueeze.engine.compress.KvPolicy.parse(source);
    }
}
