package io.kvsqueeze.spring.api;

import io.kvsqueeze.spring.ai.KvSqueezeChatOptions;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.Message;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field so that every refusal names its parameter
 * the way OpenAI does. Unknown fields are ignored (clients send many). Beyond OpenAI's fields, {@code top_k} and
 * {@code min_p} are read, as llama.cpp's server and vLLM do.
 *
 * @param maxTokensParam which of {@code max_completion_tokens} / {@code max_tokens} the client used, for messages
 */
record ChatCompletionRequest(List<Message> messages, KvSqueezeChatOptions options, boolean stream,
                             boolean includeUsage, String maxTokensParam) {

    static ChatCompletionRequest parse(JsonNode body, String modelId) {
        if (body == null || !body.isObject()) {
            throw OpenAiError.invalidRequest(null, "the request body must be a JSON object");
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isString() || model.asString().isBlank()) {
            throw OpenAiError.invalidRequest("model", "model is required; GET /v1/models lists '" + modelId + "'");
        }
        if (!model.asString().equals(modelId)) {
            throw new OpenAiError(HttpStatus.NOT_FOUND, "invalid_request_error", "model", "model_not_found",
                    "The model '" + model.asString() + "' does not exist; this server runs '" + modelId + "'");
        }
        List<Message> messages = OpenAiChatController.messages(body.get("messages"));
        Integer n = integer(body, "n", 1);
        if (n != null && n != 1) {
            throw OpenAiError.invalidRequest("n", "n must be 1: one choice per request is supported");
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
            throw OpenAiError.invalidRequest("tools", "tools are not supported by this server");
        }
        String maxTokensParam = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        KvSqueezeChatOptions options = KvSqueezeChatOptions.builder()
                .model(modelId)
                .temperature(number(body, "temperature", 0, 2))
                .topP(number(body, "top_p", Double.MIN_VALUE, 1))
                .topK(integer(body, "top_k", 0))
                .minP(number(body, "min_p", 0, 0.999999))
                .maxTokens(integer(body, maxTokensParam, 1))
                .stopSequences(stops(body.get("stop")))
                .seed(seed(body))
                .presencePenalty(number(body, "presence_penalty", -2, 2))
                .frequencyPenalty(number(body, "frequency_penalty", -2, 2))
                .build();
        boolean stream = bool(body, "stream");
        JsonNode streamOptions = body.get("stream_options");
        boolean includeUsage = streamOptions != null && streamOptions.isObject() && bool(streamOptions, "include_usage");
        return new ChatCompletionRequest(messages, options, stream, includeUsage, maxTokensParam);
    }

    private static @Nullable Double number(JsonNode body, String field, double min, double max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber() || value.asDouble() < min || value.asDouble() > max) {
            throw OpenAiError.invalidRequest(field, field + " must be a number from " + (min == Double.MIN_VALUE
                    ? "above 0" : min) + " to " + max + ", got " + value);
        }
        return value.asDouble();
    }

    private static @Nullable Integer integer(JsonNode body, String field, int min) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min) {
            throw OpenAiError.invalidRequest(field, field + " must be an integer of at least " + min + ", got " + value);
        }
        return value.asInt();
    }

    private static @Nullable Long seed(JsonNode body) {
        JsonNode value = body.get("seed");
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw OpenAiError.invalidRequest("seed", "seed must be an integer, got " + value);
        }
        return value.asLong();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw OpenAiError.invalidRequest(field, field + " must be true or false, got " + value);
        }
        return value.asBoolean();
    }

    private static @Nullable List<String> stops(@Nullable JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        List<String> stops = new ArrayList<>();
        if (stop.isString()) {
            stops.add(stop.asString());
        } else if (stop.isArray() && stop.size() <= 4) {
            for (JsonNode item : stop) {
                if (!item.isString()) {
                    throw OpenAiError.invalidRequest("stop", "stop must be a string or an array of up to 4 strings");
                }
                stops.add(item.asString());
            }
        } else {
            throw OpenAiError.invalidRequest("stop", "stop must be a string or an array of up to 4 strings");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw OpenAiError.invalidRequest("stop", "stop strings must not be empty");
        }
        return stops;
    }
}
