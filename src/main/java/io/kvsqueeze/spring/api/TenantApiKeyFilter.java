package io.kvsqueeze.spring.api;

import io.kvsqueeze.spring.admin.BearerTokens;
import io.kvsqueeze.spring.tenant.TenantContext;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authenticates the OpenAI-compatible API: {@code Authorization: Bearer <tenant API key>}. The key's tenant
 * becomes the request's {@link TenantContext} (and the {@value #TENANT_ATTRIBUTE} request attribute); anything
 * else gets a 401 in OpenAI's error format. Keys are checked against the in-memory directory, so authentication
 * keeps working while the database is unreachable.
 */
public class TenantApiKeyFilter extends OncePerRequestFilter {
    public static final String TENANT_ATTRIBUTE = TenantApiKeyFilter.class.getName() + ".tenant";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final TenantDirectory directory;

    public TenantApiKeyFilter(TenantDirectory directory) {
        this.directory = directory;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = BearerTokens.from(request);
        Optional<String> tenant = directory.authenticate(key);
        if (tenant.isEmpty()) {
            OpenAiError error = new OpenAiError(HttpStatus.UNAUTHORIZED, "authentication_error", null,
                    key == null ? "missing_api_key" : "invalid_api_key",
                    key == null ? "You didn't provide an API key: send 'Authorization: Bearer <tenant API key>'."
                            : "Incorrect API key provided.");
            response.setStatus(HttpStatus.UNAUTHORIZED.value());
            response.setHeader("WWW-Authenticate", "Bearer realm=\"kvsqueeze\"");
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter().write(JSON.writeValueAsString(error.body()));
            return;
        }
        request.setAttribute(TENANT_ATTRIBUTE, tenant.get());
        try (TenantContext.Scope ignored = TenantContext.open(tenant.get())) {
            chain.doFilter(request, response);
        }
    }
}
