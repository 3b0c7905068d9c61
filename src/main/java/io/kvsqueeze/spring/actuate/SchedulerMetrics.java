package io.kvsqueeze.spring.actuate;

import io.kvsqueeze.engine.scheduler.AdmissionRejectedException;
import io.kvsqueeze.engine.scheduler.Scheduler;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The scheduler and its KV pool as meters: {@code kvsqueeze.kv.pool.capacity}, {@code .used},
 * {@code .reserved}, {@code .parked} and {@code .high.water} (bytes), {@code kvsqueeze.scheduler.running} and
 * {@code .queued} (generations), and {@code kvsqueeze.scheduler.rejections} by {@code reason} (queue_full,
 * queue_timeout, exceeds_pool, shut_down). Each reading takes one snapshot of the scheduler's counters.
 */
public class SchedulerMetrics implements MeterBinder {
    private final Scheduler scheduler;

    public SchedulerMetrics(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "kvsqueeze.kv.pool.capacity", "bytes", "The KV pool's hard cap",
                s -> s.stats().kvPoolCapacityBytes());
        gauge(registry, "kvsqueeze.kv.pool.used", "bytes", "KV bytes held by running generations",
                s -> s.stats().kvPoolUsedBytes());
        gauge(registry, "kvsqueeze.kv.pool.reserved", "bytes",
                "KV bytes the running generations may still grow to (what admission counts)",
                s -> s.stats().kvReservedBytes());
        gauge(registry, "kvsqueeze.kv.pool.parked", "bytes",
                "KV bytes of finished sequences cached for their tenant's next request (taken back when needed)",
                s -> s.stats().kvParkedBytes());
        gauge(registry, "kvsqueeze.kv.pool.high.water", "bytes", "Most KV bytes held at once since start",
                s -> s.stats().kvPoolHighWaterBytes());
        gauge(registry, "kvsqueeze.scheduler.running", "generations", "Generations in the batch",
                s -> s.stats().running());
        gauge(registry, "kvsqueeze.scheduler.queued", "generations", "Generations waiting for room in the KV pool",
                s -> s.stats().queued());
        for (AdmissionRejectedException.Reason reason : AdmissionRejectedException.Reason.values()) {
            FunctionCounter.builder("kvsqueeze.scheduler.rejections", scheduler,
                            s -> s.stats().rejectedByReason().getOrDefault(reason, 0L))
                    .description("Generations the scheduler refused")
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
                       ToDoubleFunction<Scheduler> value) {
        Gauge.builder(name, scheduler, value).baseUnit(unit).description(description).register(registry);
    }
}
