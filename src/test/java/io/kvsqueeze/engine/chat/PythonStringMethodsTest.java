package io.kvsqueeze.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each expectation is what CPython 3.11 returns for the same call. */
class PythonStringMethodsTest {

    private static Object call(String text, String method, Object... args) {
        return PythonStringMethods.call(text, method, args);
    }

    @Test
    void stripRemovesUnicodeWhitespaceOrTheGivenCharacters() {
        assertThat(call("  a b \n", "strip")).isEqualTo("a b");
        assertThat(call("\u00a0a\u00a0", "strip")).isEqualTo("a"); // Java's String.strip keeps no-break spaces
        assertThat(call("xxaxyx", "strip", "xy")).isEqualTo("a");
        assertThat(call("  a  ", "lstrip")).isEqualTo("a  ");
        assertThat(call("  a  ", "rstrip")).isEqualTo("  a");
        assertThat(call("<<a>>", "rstrip", ">")).isEqualTo("<<a");
    }

    @Test
    void splitIsLiteralWithASeparatorAndOnWhitespaceRunsWithout() {
        assertThat(call("a.b.c", "split", ".")).isEqualTo(List.of("a", "b", "c")); // Java's split("." ) gives []
        assertThat(call("a,", "split", ",")).isEqualTo(List.of("a", ""));
        assertThat(call(" a  b ", "split")).isEqualTo(List.of("a", "b"));
        assertThat(call("", "split")).isEqualTo(List.of());
        assertThat(call("a.b.c", "split", ".", 1L)).isEqualTo(List.of("a", "b.c"));
        assertThat(call("  a b c  ", "split", null, 1L)).isEqualTo(List.of("a", "b c  "));
        assertThat(call("<think>x</think>answer", "split", "</think>")).isEqualTo(List.of("<think>x", "answer"));
    }

    @Test
    void prefixAndSuffixTestsAcceptAlternatives() {
        assertThat(call("<think>x", "startswith", "<think>")).isEqualTo(true);
        assertThat(call("Hello", "startswith", Arrays.asList("x", "He"))).isEqualTo(true);
        assertThat(call("Hello", "endswith", "x")).isEqualTo(false);
    }

    @Test
    void caseReplaceJoinFindAndCount() {
        assertThat(call("ab", "upper")).isEqualTo("AB");
        assertThat(call("AB", "lower")).isEqualTo("ab");
        assertThat(call("they're hello-world x2y", "title")).isEqualTo("They'Re Hello-World X2Y");
        assertThat(call("hELLO wORLD", "capitalize")).isEqualTo("Hello world");
        assertThat(call("a-b-c", "replace", "-", "+")).isEqualTo("a+b+c");
        assertThat(call("a-b-c", "replace", "-", "+", 1L)).isEqualTo("a+b-c");
        assertThat(call(", ", "join", List.of("a", "b"))).isEqualTo("a, b");
        assertThat(call("banana", "find", "n")).isEqualTo(2L);
        assertThat(call("banana", "count", "an")).isEqualTo(2L);
    }

    @Test
    void otherMethodsAreLeftToJinjava() {
        assertThat(call("abc", "length")).isNull();
        assertThat(call("abc", "upper", "extra")).isNull();
    }
}
