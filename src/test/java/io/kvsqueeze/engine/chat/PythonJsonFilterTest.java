package io.kvsqueeze.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are Python's json.dumps(value, ensure_ascii=False[, indent=2]). */
class PythonJsonFilterTest {

    private static Map<String, Object> sample() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("b", null);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("a", Arrays.asList(1L, 2.0, inner));
        value.put("c", "é\n\"");
        return value;
    }

    @Test
    void writesPythonSpacingWithoutEscapingNonAscii() {
        assertThat(PythonJsonFilter.toJson(sample(), null)).isEqualTo("{\"a\": [1, 2.0, {\"b\": null}], \"c\": \"é\\n\\\"\"}");
        assertThat(PythonJsonFilter.toJson(List.of(true, false, 0.5, "\u0001"), null))
                .isEqualTo("[true, false, 0.5, \"\\u0001\"]");
    }

    @Test
    void indentsLikePython() {
        assertThat(PythonJsonFilter.toJson(sample(), 2)).isEqualTo("""
                {
                  "a": [
                    1,
                    2.0,
                    {
                      "b": null
                    }
                  ],
                  "c": "é\\n\\""
                }""");
        assertThat(PythonJsonFilter.toJson(List.of(), 2)).isEqualTo("[]");
        assertThat(PythonJsonFilter.toJson(List.of(List.of()), 2)).isEqualTo("[\n  []\n]");
    }
}
