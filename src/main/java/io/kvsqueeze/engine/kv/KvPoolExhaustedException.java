package io.kvsqueeze.engine.kv;

/** The KV page pool has no free page left: its byte cap is reached. The cache that asked is unchanged. */
public final class KvPoolExhaustedException extends IllegalStateException {
    public KvPoolExhaustedException(String message) {
        super(message);
    }
}
