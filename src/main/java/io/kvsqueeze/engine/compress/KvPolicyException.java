package io.kvsqueeze.engine.compress;

/** An invalid KV policy spec. The message always starts with the offending field's JSON path. */
public final class KvPolicyException extends IllegalArgumentException {
    public KvPolicyException(String message) {
        super(message);
    }

    static KvPolicyException field(String path, String requirement, Object was) {
        return new KvPolicyException(path + " must " + requirement + ", was " + was);
    }
}
