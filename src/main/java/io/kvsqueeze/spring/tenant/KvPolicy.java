package io.kvsqueeze.spring.tenant;

/**
 * A KV cache policy as written in configuration or sent to the admin API: a preset name or a JSON document.
 * Today the only policy is {@code full}, the uncompressed cache; anything else is refused with a message that
 * names where it came from, so that no one believes a compression policy is active when it is not. The
 * compression issue replaces this with real presets and JSON policies.
 *
 * @param source the policy as written, trimmed
 */
public record KvPolicy(String source) {
    public static final String FULL = "full";

    /**
     * @param field where the value came from (a property or a JSON field), for the error message
     * @throws IllegalArgumentException for anything but {@code full}
     */
    public static KvPolicy parse(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be empty; the only KV policy today is '" + FULL + "'");
        }
        String trimmed = value.strip();
        if (!trimmed.equals(FULL)) {
            throw new IllegalArgumentException(field + ": KV policy '" + trimmed + "' is not supported yet; the only"
                    + " KV policy today is '" + FULL + "' (the uncompressed cache). Compression presets and JSON"
                    + " policies arrive with the KV compression issue.");
        }
        return new KvPolicy(trimmed);
    }

    public static KvPolicy full() {
        return new KvPolicy(FULL);
    }
}
