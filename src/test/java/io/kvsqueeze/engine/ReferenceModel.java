package io.kvsqueeze.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The metadata of the reference model (SmolLM2-135M-Instruct Q4_1) for tests that check against llama.cpp.
 *
 * <p>It is read with {@code io.kvsqueeze.engine.gguf.GgufFile}, looked up reflectively so that these tests
 * compile without the GGUF parser and are skipped, with a message, until it is on the classpath and the model
 * file is present.
 */
public final class ReferenceModel {
    static final String PARSER_CLASS = "io.kvsqueeze.engine.gguf.GgufFile";

    private static GgufMetadata metadata;

    private ReferenceModel() {
    }

    /** The reference model's metadata; skips the calling test when the parser or the file is missing. */
    public static synchronized GgufMetadata metadataOrSkip() {
        Class<?> parser;
        try {
            parser = Class.forName(PARSER_CLASS);
        } catch (ClassNotFoundException notMergedYet) {
            assumeTrue(false, "the GGUF parser " + PARSER_CLASS + " is not on the classpath yet");
            throw new AssertionError("unreachable");
        }
        Path model = ModelLocations.defaultModel();
        assumeTrue(Files.isRegularFile(model), "reference model not found at " + model
                + " (set KVSQUEEZE_HOME or download it to run these tests)");
        if (metadata == null) {
            metadata = readMetadata(parser, model);
        }
        return metadata;
    }

    private static GgufMetadata readMetadata(Class<?> parser, Path model) {
        try {
            Method open = parser.getMethod("open", Path.class);
            Method metadataOfFile = parser.getMethod("metadata");
            try (AutoCloseable file = (AutoCloseable) open.invoke(null, model)) {
                return (GgufMetadata) metadataOfFile.invoke(file);
            }
        } catch (InvocationTargetException failure) {
            throw new IllegalStateException("could not read " + model, failure.getCause());
        } catch (Exception failure) {
            throw new IllegalStateException("could not read " + model + " with " + PARSER_CLASS, failure);
        }
    }
}
