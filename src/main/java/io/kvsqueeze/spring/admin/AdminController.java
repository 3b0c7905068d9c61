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

    @GetMapping("/tenants")
    public List<TenantView> listTenants() {
        return tenants.findAll().stream().map(TenantView::of).toList();
    }

    @PostMapping(path = "/tenants", consumes = "application/json")
    public ResponseEntity<TenantView> createTenant(@RequestBody CreateTenant body,
                                                   @RequestHeader(name = ACTOR_HEADER, required = false) String actor) {
        KvPolicy policy = body.kvPolicy() == null ? defaultPolicy : KvPolicy.parse("kv_policy", body.kvPolicy());
        TenantLimits limits = body.limits() == null ? TenantLimits.NONE : body.limits().toLimits();
        Tenant tenant = tenants.create(body.id(), body.displayName(), limits, policy, actor(actor));
        directory.refresh();
        return ResponseEntity.created(URI.create("/admin/v1/tenants/" + tenant.id())).body(TenantView.of(tenant));
    }

    @GetMapping("/tenants/{id}")
    public TenantView getTenant(@PathVariable String id) {
        return TenantView.of(tenant(id));
    }

    @PutMapping(path = "/tenants/{id}", consumes = "application/json")
    public TenantView updateTenant(@PathVariable String id, @RequestBody UpdateTenant body) {
        TenantLimits limits = body.limits() == null ? TenantLimits.NONE : body.limits().toLimits();
        Tenant tenant = tenants.update(id, body.displayName(), limits);
        directory.refresh();
        return TenantView.of(tenant);
    }

    @DeleteMapping("/tenants/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void deleteTenant(@PathVariable String id) {
        tenants.delete(id);
        directory.refresh();
    }

    @GetMapping("/tenants/{id}/kv-policy")
    public ResponseEntity<KvPolicyView> getKvPolicy(@PathVariable String id) {
        return policyResponse(tenant(id));
    }

    /**
     * Replaces the policy if {@code If-Match} names its current version (the ETag of GET); a stale version gets
     * 412 and changes nothing; a missing If-Match gets 428, so that no write can skip the check by accident.
     */
    @PutMapping(path = "/tenants/{id}/kv-policy", consumes = "application/json")
    public ResponseEntity<KvPolicyView> putKvPolicy(@PathVariable String id, @RequestBody KvPolicyView body,
                                                    @RequestHeader(name = "If-Match", required = false) String ifMatch,
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

    @GetMapping("/tenants/{id}/kv-policy/history")
    public List<PolicyChangeView> kvPolicyHistory(@PathVariable String id) {
        // The history of a deleted tenant stays readable: it is the audit trail.
        List<TenantRepository.PolicyChange> history = tenants.policyHistory(id);
        if (history.isEmpty()) {
            throw new TenantNotFoundException(id);
        }
        return history.stream().map(PolicyChangeView::of).toList();
    }

    @GetMapping("/tenants/{id}/api-keys")
    public List<ApiKeyView> listApiKeys(@PathVariable String id) {
        tenant(id);
        return tenants.apiKeys(id).stream().map(info -> ApiKeyView.of(info, null)).toList();
    }

    /** Creates a key; the response is the only place its secret ever appears. */
    @PostMapping(path = "/tenants/{id}/api-keys")
    public ResponseEntity<ApiKeyView> createApiKey(@PathVariable String id, @RequestBody(required = false) CreateApiKey body) {
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

    @DeleteMapping("/tenants/{id}/api-keys/{keyId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void deleteApiKey(@PathVariable String id, @PathVariable String keyId) {
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
