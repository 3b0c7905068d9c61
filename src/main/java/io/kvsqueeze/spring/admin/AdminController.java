package io.kvsqueeze.spring.admin;

import io.kvsqueeze.spring.admin.AdminDtos.ApiKeyView;
import io.kvsqueeze.spring.admin.AdminDtos.CreateApiKey;
import io.kvsqueeze.spring.admin.AdminDtos.CreateTenant;
import io.kvsqueeze.spring.admin.AdminDtos.KvPolicyView;
import io.kvsqueeze.spring.admin.AdminDtos.PolicyChangeView;
import io.kvsqueeze.spring.admin.AdminDtos.TenantView;
import io.kvsqueeze.spring.admin.AdminDtos.UpdateTenant;
import io.kvsqueeze.spring.tenant.InvalidTenantException;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.Tenant;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantLimits;
import io.kvsqueeze.spring.tenant.TenantNotFoundException;
import io.kvsqueeze.spring.tenant.TenantRepository;
import java.net.URI;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import io.kvsqueeze.spring.openapi.KvSqueezeOpenApi;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The admin API: tenants, their KV policy (optimistic concurrency with ETag / If-Match) and its history, and
 * their API keys. Every request needs the admin token ({@link AdminAuthenticationFilter}). After each write this
 * replica's directory is refreshed at once; other replicas follow within their refresh interval.
 */
@RestController
@RequestMapping(path = "/admin/v1", produces = "application/json")
@Tag(name = "Admin", description = "Tenants, their KV policy and its history, and their API keys. Every call needs"
        + " the admin token as a bearer token; errors are problem+json with a `field` naming the bad input.")
@SecurityRequirement(name = KvSqueezeOpenApi.ADMIN_TOKEN)
@ApiResponse(responseCode = "401", description = "The admin token is missing or wrong.",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "503", description = "The tenant database is unavailable; see Retry-After. Chat goes on.",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
public class AdminController {
    /** Names the person behind a change in the policy history; without it the history says {@code admin}. */
    public static final String ACTOR_HEADER = "X-KVSqueeze-Actor";

    private final TenantRepository tenants;
    private final TenantDirectory directory;
    private final KvPolicy defaultPolicy;

    public AdminController(TenantRepository tenants, TenantDirectory directory, KvPolicy defaultPolicy) {
        this.tenants = tenants;
        this.directory = directory;
        this.defaultPolicy = defaultPolicy;
    }

    @Operation(summary = "List tenants")
    @ApiResponse(responseCode = "200", description = "All tenants, in id order.")
    @GetMapping("/tenants")
    public List<TenantView> listTenants() {
        return tenants.findAll().stream().map(TenantView::of).toList();
    }

    @Operation(summary = "Create a tenant", description = "The policy defaults to `kvsqueeze.kv-policy`; limits"
            + " left out mean none. The Location header names the new tenant.")
    @ApiResponse(responseCode = "201", description = "Created.")
    @ApiResponse(responseCode = "400", description = "A field is missing or invalid (id, display_name, a limit, the policy).",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "A tenant with this id exists.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping(path = "/tenants", consumes = "application/json")
    public ResponseEntity<TenantView> createTenant(@RequestBody CreateTenant body,
                                                   @Parameter(description = "Who makes the change, for the policy history")
                                                   @RequestHeader(name = ACTOR_HEADER, required = false) String actor) {
        KvPolicy policy = body.kvPolicy() == null ? defaultPolicy : KvPolicy.parse("kv_policy", body.kvPolicy());
        TenantLimits limits = body.limits() == null ? TenantLimits.NONE : body.limits().toLimits();
        Tenant tenant = tenants.create(body.id(), body.displayName(), limits, policy, actor(actor));
        directory.refresh();
        return ResponseEntity.created(URI.create("/admin/v1/tenants/" + tenant.id())).body(TenantView.of(tenant));
    }

    @Operation(summary = "Get a tenant")
    @ApiResponse(responseCode = "200", description = "The tenant.")
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/tenants/{id}")
    public TenantView getTenant(@Parameter(description = "The tenant's id") @PathVariable String id) {
        return TenantView.of(tenant(id));
    }

    @Operation(summary = "Update a tenant", description = "Replaces the display name and every limit; a limit left"
            + " out means none. The policy is changed through `/kv-policy`.")
    @ApiResponse(responseCode = "200", description = "The tenant as updated.")
    @ApiResponse(responseCode = "400", description = "A field is invalid.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PutMapping(path = "/tenants/{id}", consumes = "application/json")
    public TenantView updateTenant(@Parameter(description = "The tenant's id") @PathVariable String id, @RequestBody UpdateTenant body) {
        TenantLimits limits = body.limits() == null ? TenantLimits.NONE : body.limits().toLimits();
        Tenant tenant = tenants.update(id, body.displayName(), limits);
        directory.refresh();
        return TenantView.of(tenant);
    }

    @Operation(summary = "Delete a tenant", description = "Its API keys stop working at once on this replica and"
            + " within the refresh interval on others; its policy history stays readable.")
    @ApiResponse(responseCode = "204", description = "Deleted.")
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @DeleteMapping("/tenants/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void deleteTenant(@Parameter(description = "The tenant's id") @PathVariable String id) {
        tenants.delete(id);
        directory.refresh();
    }

    @Operation(summary = "Get a tenant's KV policy", description = "The ETag header is the policy's version, for"
            + " If-Match on PUT.")
    @ApiResponse(responseCode = "200", description = "The policy and its version; the ETag header repeats the version.")
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/tenants/{id}/kv-policy")
    public ResponseEntity<KvPolicyView> getKvPolicy(@Parameter(description = "The tenant's id") @PathVariable String id) {
        return policyResponse(tenant(id));
    }

    /**
     * Replaces the policy if {@code If-Match} names its current version (the ETag of GET); a stale version gets
     * 412 and changes nothing; a missing If-Match gets 428, so that no write can skip the check by accident.
     */
    @Operation(summary = "Replace a tenant's KV policy", description = "Optimistic concurrency: If-Match must"
            + " carry the ETag of GET (or `*`). The policy is a preset name or a JSON spec; see docs/compression.md.")
    @ApiResponse(responseCode = "200", description = "The new policy and version; the ETag header is the new version.")
    @ApiResponse(responseCode = "400", description = "The policy or If-Match is invalid.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "412", description = "If-Match names an older version: someone changed the policy meanwhile.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "428", description = "If-Match is missing.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PutMapping(path = "/tenants/{id}/kv-policy", consumes = "application/json")
    public ResponseEntity<KvPolicyView> putKvPolicy(@Parameter(description = "The tenant's id") @PathVariable String id, @RequestBody KvPolicyView body,
                                                    @Parameter(description = "The ETag of GET kv-policy, or *")
                                                    @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                                    @Parameter(description = "Who makes the change, for the policy history")
                                                    @RequestHeader(name = ACTOR_HEADER, required = false) String actor) {
        Tenant current = tenant(id);
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new PreconditionRequiredException();
        }
        long expected = ifMatch.strip().equals("*") ? current.kvPolicyVersion() : parseETag(ifMatch);
        KvPolicy policy = KvPolicy.parse("policy", body.policy());
        Tenant updated = tenants.updatePolicy(id, expected, policy, actor(actor));
        directory.refresh();
        return policyResponse(updated);
    }

    @Operation(summary = "A tenant's KV policy history", description = "Every change, oldest first; it stays"
            + " readable after the tenant is deleted.")
    @ApiResponse(responseCode = "200", description = "The changes.")
    @ApiResponse(responseCode = "404", description = "The tenant never existed.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/tenants/{id}/kv-policy/history")
    public List<PolicyChangeView> kvPolicyHistory(@Parameter(description = "The tenant's id") @PathVariable String id) {
        // The history of a deleted tenant stays readable: it is the audit trail.
        List<TenantRepository.PolicyChange> history = tenants.policyHistory(id);
        if (history.isEmpty()) {
            throw new TenantNotFoundException(id);
        }
        return history.stream().map(PolicyChangeView::of).toList();
    }

    @Operation(summary = "List a tenant's API keys", description = "Their ids, prefixes and names; never the secret.")
    @ApiResponse(responseCode = "200", description = "The keys, without their secrets.")
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/tenants/{id}/api-keys")
    public List<ApiKeyView> listApiKeys(@Parameter(description = "The tenant's id") @PathVariable String id) {
        tenant(id);
        return tenants.apiKeys(id).stream().map(info -> ApiKeyView.of(info, null)).toList();
    }

    /** Creates a key; the response is the only place its secret ever appears. */
    @Operation(summary = "Create an API key", description = "The response is the only place the key's secret ever"
            + " appears; only its hash is stored.")
    @ApiResponse(responseCode = "201", description = "Created; `key` holds the secret.")
    @ApiResponse(responseCode = "400", description = "The name is longer than 200 characters.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No such tenant.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping(path = "/tenants/{id}/api-keys")
    public ResponseEntity<ApiKeyView> createApiKey(@Parameter(description = "The tenant's id") @PathVariable String id, @RequestBody(required = false) CreateApiKey body) {
        String name = body == null ? null : body.name();
        if (name != null && name.length() > 200) {
            throw new InvalidTenantException("name", "name must be at most 200 characters");
        }
        TenantRepository.CreatedApiKey created = tenants.createApiKey(id, name);
        directory.refresh();
        return ResponseEntity.created(URI.create("/admin/v1/tenants/" + id + "/api-keys/" + created.info().id()))
                .header("Cache-Control", "no-store")
                .body(ApiKeyView.of(created.info(), created.key()));
    }

    @Operation(summary = "Revoke an API key")
    @ApiResponse(responseCode = "204", description = "Revoked.")
    @ApiResponse(responseCode = "404", description = "No such tenant or key.",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @DeleteMapping("/tenants/{id}/api-keys/{keyId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void deleteApiKey(@Parameter(description = "The tenant's id") @PathVariable String id, @Parameter(description = "The key's id") @PathVariable String keyId) {
        tenant(id);
        if (!tenants.deleteApiKey(id, keyId)) {
            throw new ApiKeyNotFoundException(id, keyId);
        }
        directory.refresh();
    }

    private Tenant tenant(String id) {
        return tenants.find(id).orElseThrow(() -> new TenantNotFoundException(id));
    }

    private static ResponseEntity<KvPolicyView> policyResponse(Tenant tenant) {
        return ResponseEntity.ok().eTag("\"" + tenant.kvPolicyVersion() + "\"")
                .body(new KvPolicyView(tenant.kvPolicy().source(), tenant.kvPolicyVersion()));
    }

    private static long parseETag(String ifMatch) {
        String tag = ifMatch.strip();
        if (tag.startsWith("W/")) {
            // A weak tag cannot guard a write (RFC 9110 13.1.1: If-Match uses the strong comparison).
            throw new InvalidTenantException("If-Match", "If-Match needs the strong ETag of GET .../kv-policy, got " + tag);
        }
        if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            tag = tag.substring(1, tag.length() - 1);
        }
        try {
            return Long.parseLong(tag);
        } catch (NumberFormatException e) {
            throw new InvalidTenantException("If-Match", "If-Match must be the ETag of GET .../kv-policy, such as"
                    + " \"3\", got " + ifMatch.strip());
        }
    }

    private static String actor(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return "admin";
        }
        String actor = header.strip();
        return "admin:" + (actor.length() > 100 ? actor.substring(0, 100) : actor);
    }

    /** PUT kv-policy without If-Match. */
    static final class PreconditionRequiredException extends RuntimeException {
        PreconditionRequiredException() {
            super("PUT kv-policy needs If-Match with the ETag from GET kv-policy, so that a concurrent change is"
                    + " never overwritten unseen");
        }
    }

    static final class ApiKeyNotFoundException extends RuntimeException {
        ApiKeyNotFoundException(String tenantId, String keyId) {
            super("tenant '" + tenantId + "' has no API key '" + keyId + "'");
        }
    }
}
