package io.kvsqueeze.spring.ai;

/** Decides, before a generation is queued, whether the process can take it on. */
@FunctionalInterface
public interface AdmissionGuard {
    AdmissionGuard ALWAYS = () -> { };

    /** @throws OverloadedException when the generation must not start now */
    void admit();

    /** The process cannot take on a generation now; {@link #retryAfterSeconds()} says when to try again. */
    class OverloadedException extends RuntimeException {
        private final long retryAfterSeconds;

        public OverloadedException(String message, long retryAfterSeconds) {
            super(message);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }
}
