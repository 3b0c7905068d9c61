package io.kvsqueeze.cli;

import io.kvsqueeze.engine.gguf.GgufMetadata;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code kvsqueeze tokenize} prints for a model's metadata, apart from reading the GGUF file, so that it
 * can be tested with hand-built metadata.
 */
final class TokenizeOutput {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TokenizeOutput() {
    }

    /**
     * The ids of {@code text}, with BOS/EOS where the model asks for them: space-separated, or as
     * {@code {"ids":[...],"count":N}}.
     *
     * @param parseSpecial whether special-token texts such as {@code <|im_start|>} become their tokens
     */
    static String format(GgufMetadata metadata, String text, boolean parseSpecial, boolean json) {
        int[] ids = Tokenizer.fromGguf(metadata).encode(text, true, parseSpecial);
        if (json) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("ids", ids);
            document.put("count", ids.length);
            return JSON.writeValueAsString(document);
        }
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    /** {@code model}, if it is a file; otherwise a message saying where models are looked for. */
    static Path requireModelFile(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("model file not found: " + model
                    + " (pass --model PATH, or set KVSQUEEZE_HOME to the folder holding models/)");
        }
        return model;
    }
}
