package io.kvsqueeze.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as users write them on the command line: {@code 512MiB}, {@code 1GiB}, {@code 100MB}, {@code 4096}. */
final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {
    }

    /** The size in bytes; throws an IllegalArgumentException naming {@code option} when it is not a size. */
    static long parse(String option, String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " must be a byte size like 512MiB, 1GiB, 100MB or 4096, was '"
                    + text + "'");
        }
        long value = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long multiplier = switch (unit) {
            case "B" -> 1L;
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KIB" -> 1L << 10;
            case "MIB" -> 1L << 20;
            case "GIB" -> 1L << 30;
            default -> 1L << 40;
        };
        if (value == 0 || value > Long.MAX_VALUE / multiplier) {
            throw new IllegalArgumentException(option + " must be positive and below 8 EiB, was '" + text + "'");
        }
        return value * multiplier;
    }
}
