package io.kvsqueeze.spring.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.kvsqueeze.spring.tenant.GuardMode;
import io.swagger.v3.oas.annotations.media.Schema;
import io.kvsqueeze.spring.tenant.Tenant;
import io.kvsqueeze.spring.tenant.TenantLimits;
import io.kvsqueeze.spring.tenant.TenantRepository;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The admin API's JSON documents (snake_case, like the OpenAI-compatible API). */
public final class AdminDtos {
    private AdminDtos() {
    }

    /** POST /tenants: {@code id} and {@code display_name} required; {@code kv_policy} defaults to kvsqueeze.kv-policy. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CreateTenant(
            @Schema(description = "1 to 63 characters of a-z, 0-9, - and _, starting with a letter or digit",
                    example = "acme",
                    requiredMode = Schema.RequiredMode.REQUIRED) @Nullable String id,
            @Schema(example = "Acme Corp", requiredMode = Schema.RequiredMode.REQUIRED) @Nullable String displayName,
            @Nullable Limits limits,
            @Schema(description = "A preset name or a JSON spec (docs/compression.md); default kvsqueeze.kv-policy",
                    example = "ada-snapkv") @Nullable String kvPolicy) {
    }

    /** PUT /tenants/{id}: replaces the display name and all limits (an absent limit means none). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record UpdateTenant(@Nullable String displayName, @Nullable Limits limits) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(description = "A tenant's limits; an absent limit means none")
    public record Limits(
            @Schema(description = "Most prompt and reply tokens of one request") @Nullable Integer maxContextTokens,
            @Schema(description = "Most generated tokens of one request") @Nullable Integer maxNewTokens,
            @Schema(description = "KV bytes one request may hold; requests over it count against the tenant's"
                    + " breaker") @Nullable Long kvBytesQuota,
            @Schema(description = "Requests of this tenant running at once; more get 429")
            @Nullable Integer maxConcurrentRequests,
            @Schema(description = "What the memory breakers do to this tenant's requests while open",
                    allowableValues = {"reject", "degrade"}) @Nullable String guardMode) {

        static Limits of(TenantLimits limits) {
            return new Limits(limits.maxContextTokens(), limits.maxNewTokens(), limits.kvBytesQuota(),
                    limits.maxConcurrentRequests(), limits.guardMode() == null ? null : limits.guardMode().value());
        }

        TenantLimits toLimits() {
            return new TenantLimits(maxContextTokens, maxNewTokens, kvBytesQuota, maxConcurrentRequests,
                    GuardMode.parse("limits.guard_mode", guardMode));
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TenantView(String id, String displayName, Limits limits, String kvPolicy, long kvPolicyVersion,
                             Instant createdAt, Instant updatedAt) {

        static TenantView of(Tenant tenant) {
            return new TenantView(tenant.id(), tenant.displayName(), Limits.of(tenant.limits()),
                    tenant.kvPolicy().source(), tenant.kvPolicyVersion(), tenant.createdAt(), tenant.updatedAt());
        }
    }

    /** GET and PUT /tenants/{id}/kv-policy; on PUT only {@code policy} is read, the version comes from If-Match. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record KvPolicyView(
            @Schema(description = "A preset name or a JSON spec (docs/compression.md)", example = "snapkv")
            @Nullable String policy,
            @Schema(description = "Increases with every change; the ETag; ignored on PUT", accessMode = Schema.AccessMode.READ_ONLY)
            @Nullable Long version) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record PolicyChangeView(long version, @Nullable String oldPolicy, String newPolicy, String changedBy,
                                   Instant changedAt) {

        static PolicyChangeView of(TenantRepository.PolicyChange change) {
            return new PolicyChangeView(change.version(), change.oldPolicy(), change.newPolicy(), change.changedBy(),
                    change.changedAt());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CreateApiKey(@Schema(description = "A label for people, at most 200 characters") @Nullable String name) {
    }

    /** An API key; {@code key} is present only in the response that created it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ApiKeyView(String id, String tenantId,
                             @Schema(description = "The key's first characters, to recognise it") String prefix,
                             @Nullable String name, Instant createdAt,
                             @Schema(description = "The secret: only in the response that created the key")
                             @Nullable String key) {

        static ApiKeyView of(TenantRepository.ApiKeyInfo info, @Nullable String key) {
            return new ApiKeyView(info.id(), info.tenantId(), info.prefix(), info.name(), info.createdAt(), key);
        }
    }
}
