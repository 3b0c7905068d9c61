package io.kvsqueeze.spring.admin;

import io.kvsqueeze.spring.tenant.InvalidTenantException;
import io.kvsqueeze.spring.tenant.StalePolicyVersionException;
import io.kvsqueeze.spring.tenant.TenantAlreadyExistsException;
import io.kvsqueeze.spring.tenant.TenantNotFoundException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.transaction.TransactionException;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import tools.jackson.databind.DatabindException;

/** The admin API's errors as RFC 9457 problem details; a {@code field} member names the offending input. */
@RestControllerAdvice(assignableTypes = AdminController.class)
public class AdminExceptionHandler {

    @ExceptionHandler(InvalidTenantException.class)
    ResponseEntity<ProblemDetail> invalid(InvalidTenantException e) {
        return problem(HttpStatus.BAD_REQUEST, e.getMessage(), e.field());
    }

    /** {@link io.kvsqueeze.spring.tenant.KvPolicy#parse} names the field at the start of its message. */
    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<ProblemDetail> illegalArgument(IllegalArgumentException e) {
        String message = e.getMessage() == null ? "invalid request" : e.getMessage();
        String field = message.startsWith("policy") ? "policy" : message.startsWith("kv_policy") ? "kv_policy" : null;
        return problem(HttpStatus.BAD_REQUEST, message, field);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        if (e.getCause() instanceof DatabindException databind && !databind.getPath().isEmpty()) {
            String field = databind.getPath().stream()
                    .map(reference -> reference.getPropertyName() != null
                            ? reference.getPropertyName() : String.valueOf(reference.getIndex()))
                    .collect(Collectors.joining("."));
            return problem(HttpStatus.BAD_REQUEST, "'" + field + "' has the wrong type: " + databind.getOriginalMessage(),
                    field);
        }
        return problem(HttpStatus.BAD_REQUEST, "the request body must be a JSON object", null);
    }

    @ExceptionHandler({TenantNotFoundException.class, AdminController.ApiKeyNotFoundException.class})
    ResponseEntity<ProblemDetail> notFound(RuntimeException e) {
        return problem(HttpStatus.NOT_FOUND, e.getMessage(), null);
    }

    @ExceptionHandler(TenantAlreadyExistsException.class)
    ResponseEntity<ProblemDetail> conflict(TenantAlreadyExistsException e) {
        return problem(HttpStatus.CONFLICT, e.getMessage(), "id");
    }

    @ExceptionHandler(StalePolicyVersionException.class)
    ResponseEntity<ProblemDetail> stale(StalePolicyVersionException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.PRECONDITION_FAILED, e.getMessage(), "If-Match");
        return ResponseEntity.status(response.getStatusCode()).eTag("\"" + e.currentVersion() + "\"")
                .body(response.getBody());
    }

    @ExceptionHandler(AdminController.PreconditionRequiredException.class)
    ResponseEntity<ProblemDetail> preconditionRequired(AdminController.PreconditionRequiredException e) {
        return problem(HttpStatus.PRECONDITION_REQUIRED, e.getMessage(), "If-Match");
    }

    /**
     * The tenant database cannot be reached: the admin API stops (nothing is written half), while chat goes on
     * with the tenants and policies the directory holds in memory.
     */
    @ExceptionHandler({DataAccessException.class, TransactionException.class})
    ResponseEntity<ProblemDetail> databaseUnavailable(RuntimeException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.SERVICE_UNAVAILABLE,
                "the tenant database is unavailable; chat goes on with the last known tenants and policies, and"
                        + " admin changes are refused until it is back", null);
        return ResponseEntity.status(response.getStatusCode()).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .header(HttpHeaders.RETRY_AFTER, "5").body(response.getBody());
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String detail, @Nullable String field) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        if (field != null) {
            problem.setProperty("field", field);
        }
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }
}
