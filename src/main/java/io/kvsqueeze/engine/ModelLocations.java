package io.kvsqueeze.engine;

import java.nio.file.Path;

/** Where KVSqueeze keeps its files: {@code $KVSQUEEZE_HOME}, or {@code ~/.cache/kvsqueeze} when that is unset. */
public final class ModelLocations {
    private ModelLocations() {
    }

    public static Path home() {
        String configured = System.getenv("KVSQUEEZE_HOME");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "kvsqueeze");
    }

    /** The model used when none is named: SmolLM2-135M-Instruct, Q4_1, as {@code kvsqueeze model fetch} saves it. */
    public static Path defaultModel() {
        return home().resolve("models").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
    }
}
