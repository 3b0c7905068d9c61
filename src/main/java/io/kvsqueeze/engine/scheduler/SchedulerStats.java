package io.kvsqueeze.engine.scheduler;

import java.util.Map;

/**
 * A snapshot of a {@link Scheduler}, for metrics and health.
 *
 * @param kvPoolCapacityBytes the pool's hard cap
 * @param kvPoolUsedBytes     bytes of pages held by sequences now
 * @param kvPoolHighWaterBytes most bytes held at once since start
 * @param kvReservedBytes     bytes the running sequences may still grow to (admission's figure), plus the
 *                            parked sequences' bytes
 * @param kvParkedBytes       of the used bytes, those of finished sequences kept for reuse; admission takes
 *                            them back whenever a request needs the room
 * @param parked              finished sequences kept for reuse
 * @param running             sequences admitted and not finished
 * @param queued              requests waiting for admission
 * @param completed           requests that ended with a result
 * @param failed              requests that failed or were cancelled
 * @param rejectedByReason    requests rejected, by reason (queue full or timed out, too large, shut down)
 * @param peakRunning         most sequences that ran at once since start
 */
public record SchedulerStats(long kvPoolCapacityBytes, long kvPoolUsedBytes, long kvPoolHighWaterBytes,
                             long kvReservedBytes, long kvParkedBytes, int parked, int running, int queued,
                             long completed, long failed,
                             Map<AdmissionRejectedException.Reason, Long> rejectedByReason, int peakRunning) {

    /** Requests rejected for any reason. */
    public long rejected() {
        return rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
    }
}
