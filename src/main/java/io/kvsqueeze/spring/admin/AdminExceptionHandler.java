package io.kvsqueeze.spring.admin;

import io.kvsqueeze.spring.tenant.InvalidTenantException;
import io.kvsqueeze.spring.tenant.StalePolicyVersionException;
import io.kvsqueeze.spring.tenant.TenantAlreadyExistsException;
import io.kvsqueeze.spring.tenant.TenantNotFoundException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
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

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String detail, @Nullable String field) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        if (field != null) {
            problem.setProperty("field", field);
        }
        return ResponseEntity.status(status).contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }
}
