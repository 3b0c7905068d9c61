package io.kvsqueeze.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelLocationsTest {

    @Test
    void homeIsTheEnvironmentVariableWhenSet() {
        assertThat(ModelLocations.home(Map.of("KVSQUEEZE_HOME", "/srv/kvs"), "/home/ann"))
                .isEqualTo(Path.of("/srv/kvs"));
    }

    @Test
    void homeFallsBackToTheUserCacheWhenTheVariableIsUnsetOrBlank() {
        assertThat(ModelLocations.home(Map.of(), "/home/ann")).isEqualTo(Path.of("/home/ann/.cache/kvsqueeze"));
        assertThat(ModelLocations.home(Map.of("KVSQUEEZE_HOME", "  "), "/home/ann"))
                .isEqualTo(Path.of("/home/ann/.cache/kvsqueeze"));
    }

    @Test
    void defaultModelIsSmolLm2UnderModels() {
        assertThat(ModelLocations.defaultModel(Path.of("/srv/kvs")))
                .isEqualTo(Path.of("/srv/kvs/models/SmolLM2-135M-Instruct.Q4_1.gguf"));
    }
}
