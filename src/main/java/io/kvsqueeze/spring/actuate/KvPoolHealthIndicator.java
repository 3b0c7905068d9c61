package io.kvsqueeze.spring.actuate;

import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.engine.scheduler.SchedulerStats;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code kvsqueeze-kv-pool}: the scheduler and its KV pool. DOWN once the scheduler is closed; OUT_OF_SERVICE
 * while its queue is full (every new request is refused at once, so a load balancer should send them
 * elsewhere); UP otherwise. The details are the pool's bytes and the generations running and waiting.
 */
public class KvPoolHealthIndicator implements HealthIndicator {
    private final Scheduler scheduler;

    public KvPoolHealthIndicator(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public Health health() {
        SchedulerStats stats = scheduler.stats();
        Health.Builder health = scheduler.isClosed() ? Health.down()
                : stats.queued() >= scheduler.options().maxQueued() ? Health.outOfService() : Health.up();
        return health
                .withDetail("capacityBytes", stats.kvPoolCapacityBytes())
                .withDetail("usedBytes", stats.kvPoolUsedBytes())
                .withDetail("reservedBytes", stats.kvReservedBytes())
                .withDetail("highWaterBytes", stats.kvPoolHighWaterBytes())
                .withDetail("parkedBytes", stats.kvParkedBytes())
                .withDetail("parked", stats.parked())
                .withDetail("running", stats.running())
                .withDetail("queued", stats.queued())
                .withDetail("maxRunning", scheduler.options().maxRunning())
                .withDetail("maxQueued", scheduler.options().maxQueued())
                .build();
    }
}
