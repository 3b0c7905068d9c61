package io.kvsqueeze.spring.api;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;

/**
 * An error in the OpenAI wire format, {@code {"error":{"message","type","param","code"}}}, which the official
 * clients turn into their typed exceptions.
 */
public class OpenAiError extends RuntimeException {
    private final HttpStatus status;
    private final String type;
    private final @Nullable String param;
    private final @Nullable String code;

    public OpenAiError(HttpStatus status, String type, @Nullable String param, @Nullable String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static OpenAiError invalidRequest(@Nullable String param, String message) {
        return new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", param, null, message);
    }

    public HttpStatus status() {
        return status;
    }

    public Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Map.of("error", error);
    }
}
