package io.kvsqueeze.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvsqueeze.engine.gguf.GgufFile;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference model (SmolLM2-135M-Instruct Q4_1) for tests that check against llama.cpp. They are skipped,
 * with a message, when the file is absent; CI fetches it first, so there they always run.
 */
public final class ReferenceModel {
    private static GgufMetadata metadata;

    private ReferenceModel() {
    }

    /** The model's path; skips the calling test when the file is missing. */
    public static Path pathOrSkip() {
        Path model = ModelLocations.defaultModel();
        assumeTrue(Files.isRegularFile(model), "reference model not found at " + model
                + ": run ./kvsqueeze model fetch (CI does) to run this test");
        return model;
    }

    /** The model's metadata; skips the calling test when the file is missing. */
    public static synchronized GgufMetadata metadataOrSkip() {
        Path model = pathOrSkip();
        if (metadata == null) {
            try (GgufFile file = GgufFile.open(model)) {
                metadata = file.metadata();
            }
        }
        return metadata;
    }
}
