package io.kvsqueeze.spring.tenant;

import io.kvsqueeze.spring.tenant.TenantRepository.Snapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The tenants, their policies and their API keys as this replica knows them: an in-memory copy of the database,
 * so that no request waits on it. The copy is refreshed by polling one version number that every change to
 * tenants or keys increases; when it moves, everything is reloaded in one consistent read. Other replicas'
 * changes therefore apply within one refresh interval. When the database cannot be reached the last copy stays
 * in use: chat keeps working with the last known tenants, policies and keys.
 */
public class TenantDirectory implements TenantPolicies, AutoCloseable {
    private static final Log log = LogFactory.getLog(TenantDirectory.class);

    private final TenantRepository repository;
    private final KvPolicy defaultPolicy;
    private final Clock clock;
    private final @Nullable ScheduledExecutorService poller;
    private volatile Snapshot snapshot;
    private volatile Instant lastSuccessfulRefresh;
    private volatile @Nullable String lastFailure;
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Loads the directory once (failing if the database cannot be read) and, when {@code refreshInterval} is
     * positive, polls for changes in the background.
     */
    public TenantDirectory(TenantRepository repository, KvPolicy defaultPolicy, Duration refreshInterval, Clock clock) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.defaultPolicy = Objects.requireNonNull(defaultPolicy, "defaultPolicy");
        this.clock = clock;
        this.snapshot = repository.snapshot();
        this.lastSuccessfulRefresh = clock.instant();
        if (refreshInterval.isPositive()) {
            poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "kvsqueeze-tenant-refresh");
                thread.setDaemon(true);
                return thread;
            });
            long millis = refreshInterval.toMillis();
            poller.scheduleWithFixedDelay(this::refresh, millis, millis, TimeUnit.MILLISECONDS);
        } else {
            poller = null;
        }
    }

    /**
     * Reloads if the database's version moved. Never throws: a failure is logged (once per outage) and the last
     * copy stays in use.
     *
     * @return whether the database could be read
     */
    public synchronized boolean refresh() {
        try {
            if (repository.configVersion() != snapshot.version()) {
                snapshot = repository.snapshot();
                Set<String> tenants = Set.copyOf(snapshot.tenants().keySet());
                listeners.forEach(listener -> listener.accept(tenants));
            }
            lastSuccessfulRefresh = clock.instant();
            if (lastFailure != null) {
                log.info("KVSqueeze tenant database reachable again; tenants reloaded at version " + snapshot.version());
            }
            lastFailure = null;
            return true;
        } catch (RuntimeException e) {
            if (lastFailure == null) {
                log.warn("KVSqueeze cannot read the tenant database; serving the tenants, policies and keys of"
                        + " version " + snapshot.version() + " until it is back: " + e.getMessage());
            }
            lastFailure = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            return false;
        }
    }

    /**
     * Calls {@code listener} with the ids of all tenants whenever a refresh loads a changed directory (on the
     * refreshing thread), so that per-tenant state (breakers, bulkheads) of deleted tenants can go.
     */
    public void onChange(Consumer<Set<String>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public KvPolicy kvPolicy(@Nullable String tenantId) {
        if (tenantId == null) {
            return defaultPolicy;
        }
        Tenant tenant = snapshot.tenants().get(tenantId);
        return tenant != null ? tenant.kvPolicy() : defaultPolicy;
    }

    public Optional<Tenant> tenant(String tenantId) {
        return Optional.ofNullable(snapshot.tenants().get(tenantId));
    }

    /** The tenant an API key belongs to. */
    public Optional<String> authenticate(@Nullable String apiKey) {
        if (apiKey == null || apiKey.isEmpty()) {
            return Optional.empty();
        }
        String tenantId = snapshot.tenantByKeyHash().get(HexFormat.of().formatHex(ApiKeys.sha256(apiKey)));
        // A key whose tenant vanished between two reads is no key.
        return Optional.ofNullable(tenantId).filter(snapshot.tenants()::containsKey);
    }

    public long version() {
        return snapshot.version();
    }

    public int tenantCount() {
        return snapshot.tenants().size();
    }

    public Instant lastSuccessfulRefresh() {
        return lastSuccessfulRefresh;
    }

    /** Why the last refresh failed, or empty when it succeeded. */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
