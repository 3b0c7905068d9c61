package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.ModelLocations;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import io.kvsqueeze.engine.scheduler.SchedulerOptions;
import io.kvsqueeze.spring.guard.TenantQuotaBreakers;
import io.kvsqueeze.spring.tenant.GuardMode;
import io.kvsqueeze.spring.tenant.KvPolicy;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the in-process model, under {@code kvsqueeze.*}.
 *
 * @param model     which GGUF model to load and how to run it
 * @param kvPolicy  default KV cache policy: the one new tenants get unless their creation names another, and
 *                  the one for calls made outside any tenant; a preset name or a JSON document
 * @param kvPool    hard cap on the KV cache bytes (keys and values) of all running generations together: the
 *                  pool every sequence's pages come from; generations that do not fit wait in the queue
 * @param scheduler how generations share the engine: continuous batching under the KV pool
 * @param chat      default generation options, used where a prompt's options leave a value unset
 * @param admin     the admin REST API
 * @param embeddedDatabase the PostgreSQL started in-process when no {@code spring.datasource.url} is set
 * @param tenants   tenants, their limits, KV policies and API keys, kept in PostgreSQL
 * @param api       the OpenAI-compatible API under {@code /v1}
 * @param guard     refusal of new generations while memory is short
 */
@ConfigurationProperties(prefix = "kvsqueeze")
public record KvSqueezeProperties(
        @DefaultValue Model model,
        @DefaultValue(KvPolicy.FULL) String kvPolicy,
        @DefaultValue("512MB") DataSize kvPool,
        @DefaultValue Scheduler scheduler,
        @DefaultValue Chat chat,
        @DefaultValue Admin admin,
        @DefaultValue EmbeddedDatabase embeddedDatabase,
        @DefaultValue Tenants tenants,
        @DefaultValue Api api,
        @DefaultValue Guard guard) {

    public KvSqueezeProperties {
        // Fails the binding (and the start) with the property named, instead of accepting a policy we cannot apply.
        KvPolicy.parse("kvsqueeze.kv-policy", kvPolicy);
        if (kvPool.toBytes() < 1) {
            throw new IllegalArgumentException("kvsqueeze.kv-pool must be positive, got " + kvPool);
        }
    }

    /** The engine's scheduler options from {@code kvsqueeze.kv-pool} and {@code kvsqueeze.scheduler.*}. */
    public SchedulerOptions schedulerOptions() {
        return new SchedulerOptions(kvPool.toBytes(), scheduler.maxRunning(), scheduler.maxQueued(),
                scheduler.queueTimeout(), scheduler.prefillTokens());
    }

    /**
     * @param maxRunning    most generations in one batch (prefilling and decoding together)
     * @param maxQueued     most generations waiting for room in the KV pool; one more is refused at once (503)
     * @param queueTimeout  how long a generation may wait for room before it is refused (503)
     * @param prefillTokens prompt tokens run per batch beside one token of every decoding generation: small
     *                      enough that a long prompt does not stall the replies being streamed
     * @param retryAfter    the Retry-After the API gives with a refusal for a full queue or a queue timeout
     */
    public record Scheduler(
            @DefaultValue("" + SchedulerOptions.DEFAULT_MAX_RUNNING) int maxRunning,
            @DefaultValue("" + SchedulerOptions.DEFAULT_MAX_QUEUED) int maxQueued,
            @DefaultValue("60s") Duration queueTimeout,
            @DefaultValue("" + SchedulerOptions.DEFAULT_PREFILL_TOKENS) int prefillTokens,
            @DefaultValue("5s") Duration retryAfter) {

        public Scheduler {
            if (maxRunning < 1 || maxQueued < 1 || prefillTokens < 1) {
                throw new IllegalArgumentException("kvsqueeze.scheduler.max-running (" + maxRunning
                        + "), max-queued (" + maxQueued + ") and prefill-tokens (" + prefillTokens
                        + ") must be positive");
            }
            if (!queueTimeout.isPositive() || retryAfter.isNegative()) {
                throw new IllegalArgumentException("kvsqueeze.scheduler.queue-timeout (" + queueTimeout
                        + ") must be positive and retry-after (" + retryAfter + ") not negative");
            }
        }
    }

    /**
     * @param path          GGUF file to load; unset means the default model,
     *                      {@code ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/models/SmolLM2-135M-Instruct.Q4_1.gguf}
     * @param id            model name reported in responses and observations; unset means the file name
     *                      without {@code .gguf}
     * @param backend       where the model runs: {@code auto} picks the best available, {@code cpu} forces the
     *                      CPU. Only the CPU backend exists today, so both run on the CPU.
     * @param threads       compute threads; unset means all available processors
     * @param contextTokens tokens one sequence can hold (prompt plus generated text); sizes the KV cache
     * @param batchSize     prompt tokens processed per forward pass during prefill
     */
    public record Model(
            @Nullable Path path,
            @Nullable String id,
            @DefaultValue("auto") Backend backend,
            @Nullable Integer threads,
            @DefaultValue("" + EngineOptions.DEFAULT_CONTEXT_LENGTH) int contextTokens,
            @DefaultValue("" + EngineOptions.DEFAULT_BATCH_SIZE) int batchSize) {

        public Path resolvedPath() {
            return path != null ? path : ModelLocations.defaultModel();
        }

        public String resolvedId() {
            if (id != null && !id.isBlank()) {
                return id;
            }
            String file = resolvedPath().getFileName().toString();
            return file.endsWith(".gguf") ? file.substring(0, file.length() - ".gguf".length()) : file;
        }

        public EngineOptions engineOptions() {
            int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            return new EngineOptions(threadCount, contextTokens, batchSize);
        }
    }

    /** Where the model runs. */
    public enum Backend {
        /** The best backend available; today always the CPU. */
        AUTO,
        /** The CPU (JDK Vector API). */
        CPU
    }

    /**
     * Defaults for generation options a prompt leaves unset. The sampling defaults are llama.cpp's.
     *
     * @param maxTokens   most tokens generated for one reply
     * @param temperature 0 means greedy decoding
     * @param topK        keep the K most likely tokens; 0 turns it off
     * @param topP        nucleus sampling mass; 1 turns it off
     * @param minP        drop tokens less likely than this fraction of the most likely one; 0 turns it off
     * @param seed        random seed; unset means a new random seed per generation
     */
    public record Chat(
            @DefaultValue("256") int maxTokens,
            @DefaultValue("" + SamplingOptions.DEFAULT_TEMPERATURE) double temperature,
            @DefaultValue("" + SamplingOptions.DEFAULT_TOP_K) int topK,
            @DefaultValue("" + SamplingOptions.DEFAULT_TOP_P) double topP,
            @DefaultValue("" + SamplingOptions.DEFAULT_MIN_P) double minP,
            @Nullable Long seed) {
    }

    /**
     * @param enabled serve the admin API under {@code /admin/v1} (needs a servlet web application and tenants)
     * @param token   bearer token of the admin API ({@code KVSQUEEZE_ADMIN_TOKEN}), at least 16 characters; unset
     *                means the one in {@code ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/admin-token}, generated (mode
     *                0600) at the first start
     */
    public record Admin(@DefaultValue("true") boolean enabled, @Nullable String token) {
    }

    /**
     * @param enabled       start an embedded PostgreSQL when the application configures no
     *                      {@code spring.datasource.url}
     * @param dataDirectory where its data lives; unset means {@code ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/pgdata}
     * @param ephemeral     use a fresh temporary data directory, deleted at shutdown (demos, tests)
     * @param port          TCP port on localhost; 0 picks a free one
     */
    public record EmbeddedDatabase(
            @DefaultValue("true") boolean enabled,
            @Nullable Path dataDirectory,
            @DefaultValue("false") boolean ephemeral,
            @DefaultValue("0") int port) {

        public Path resolvedDataDirectory() {
            return dataDirectory != null ? dataDirectory : ModelLocations.home().resolve("pgdata");
        }
    }

    /**
     * @param enabled         keep tenants in the database (schema {@code kvsqueeze}, migrated at start)
     * @param refreshInterval how often each replica polls the database for changed tenants, policies and keys;
     *                        changes made elsewhere apply within this interval
     */
    public record Tenants(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("2s") Duration refreshInterval) {
    }

    /**
     * @param enabled       serve {@code /v1/chat/completions} and {@code /v1/models} (needs a servlet web
     *                      application and tenants: every request needs a tenant API key)
     * @param streamTimeout longest a streamed reply may take, queueing included
     */
    public record Api(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("10m") Duration streamTimeout) {
    }

    /**
     * @param enabled              the guards: the memory breaker and the tenants' KV-quota breakers
     * @param heapHighWatermark    refuse above this fill level of the heap (the old generation with a
     *                             generational collector), 0 to 1
     * @param heapLowWatermark     accept again below this level
     * @param kvPoolHighWatermark  refuse above this fill level of the KV pool (bytes of pages held over
     *                             {@code kvsqueeze.kv-pool}), 0 to 1: new requests are refused fast instead of
     *                             waiting in the queue
     * @param kvPoolLowWatermark   accept again below this level
     * @param sampleInterval       how often memory is sampled; also the Retry-After given to refused requests
     * @param mode                 what an open breaker does to new requests: {@code reject} (503 with
     *                             Retry-After on the API) or {@code degrade} (run them under the tenant's policy
     *                             with half its budget; {@code full} becomes {@code snapkv} at ratio 0.5). The
     *                             memory breaker's mode, and every tenant breaker's unless the tenant sets its own
     *                             {@code guard_mode}
     * @param tenantBreaker        the per-tenant breakers that open when a tenant keeps exceeding its KV bytes quota
     */
    public record Guard(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("0.9") double heapHighWatermark,
            @DefaultValue("0.8") double heapLowWatermark,
            @DefaultValue("0.95") double kvPoolHighWatermark,
            @DefaultValue("0.85") double kvPoolLowWatermark,
            @DefaultValue("1s") Duration sampleInterval,
            @DefaultValue("reject") GuardMode mode,
            @DefaultValue TenantBreaker tenantBreaker) {
    }

    /**
     * One Resilience4j circuit breaker per tenant, {@code kvsqueeze-tenant-<id>}: each KV quota check of an API
     * request is a call, a request over {@code kv_bytes_quota} a failure, in a count-based sliding window.
     *
     * @param enabled                       keep a breaker per tenant
     * @param slidingWindowSize             quota checks the failure rate is computed over
     * @param minimumNumberOfCalls          checks needed before the failure rate counts
     * @param failureRateThreshold          percentage of checks over the quota that opens the breaker
     * @param waitDurationInOpenState       how long it stays open before half-open probes; also the Retry-After
     *                                      of requests it refuses
     * @param permittedCallsInHalfOpenState probe requests let through half-open: if they fit the quota the
     *                                      breaker closes, if not it opens again
     */
    public record TenantBreaker(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("10") int slidingWindowSize,
            @DefaultValue("5") int minimumNumberOfCalls,
            @DefaultValue("50") float failureRateThreshold,
            @DefaultValue("30s") Duration waitDurationInOpenState,
            @DefaultValue("2") int permittedCallsInHalfOpenState) {

        public TenantQuotaBreakers.Settings settings() {
            return new TenantQuotaBreakers.Settings(slidingWindowSize, minimumNumberOfCalls, failureRateThreshold,
                    waitDurationInOpenState, permittedCallsInHalfOpenState);
        }
    }
}
