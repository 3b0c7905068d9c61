package io.kvsqueeze.engine.scheduler;

/** A request the {@link Scheduler} did not run, with the typed reason. */
public final class AdmissionRejectedException extends RuntimeException {

    public enum Reason {
        /** The waiting queue was full when the request arrived. */
        QUEUE_FULL,
        /** The request waited longer than the queue timeout for room in the KV pool. */
        QUEUE_TIMEOUT,
        /** Even alone, the request's projected KV is larger than the whole pool. */
        EXCEEDS_POOL,
        /** The scheduler was shut down. */
        SHUT_DOWN
    }

    private final Reason reason;

    public AdmissionRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
