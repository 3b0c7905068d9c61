package io.kvsqueeze.spring.tenant;

/** A policy write based on a version that is no longer current: someone else changed the policy in between. */
public class StalePolicyVersionException extends RuntimeException {
    private final long currentVersion;

    public StalePolicyVersionException(String tenantId, long expected, long currentVersion) {
        super("the KV policy of tenant '" + tenantId + "' is at version " + currentVersion + ", not " + expected
                + "; read it again and reapply the change");
        this.currentVersion = currentVersion;
    }

    public long currentVersion() {
        return currentVersion;
    }
}
