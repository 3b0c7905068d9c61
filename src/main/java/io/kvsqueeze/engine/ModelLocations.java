package io.kvsqueeze.engine;

import java.nio.file.Path;
import java.util.Map;

/** Where KVSqueeze keeps its files: {@code $KVSQUEEZE_HOME}, or {@code ~/.cache/kvsqueeze} when that is unset. */
public final class ModelLocations {
    /** The model the commands use when none is given. */
    public static final String DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";

    private ModelLocations() {
    }

    public static Path home() {
        return home(System.getenv(), System.getProperty("user.home"));
    }

    /** {@code models/SmolLM2-135M-Instruct.Q4_1.gguf} under {@link #home()}. */
    public static Path defaultModel() {
        return defaultModel(home());
    }

    static Path home(Map<String, String> environment, String userHome) {
        String configured = environment.get("KVSQUEEZE_HOME");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(userHome, ".cache", "kvsqueeze");
    }

    static Path defaultModel(Path home) {
        return home.resolve("models").resolve(DEFAULT_MODEL_FILE);
    }
}
