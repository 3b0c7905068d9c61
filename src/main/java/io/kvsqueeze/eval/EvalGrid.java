package io.kvsqueeze.eval;

import java.util.ArrayList;
import java.util.List;

/** Parsers for the evaluation grid's command-line lists: lengths, depths and budgets. */
public final class EvalGrid {
    private EvalGrid() {
    }

    /** {@code "1k,2k,4000"} → [1024, 2048, 4000]: a {@code k} suffix multiplies by 1024. */
    public static List<Integer> lengths(String spec) {
        List<Integer> lengths = new ArrayList<>();
        for (String item : items(spec, "--lengths")) {
            String digits = item.endsWith("k") || item.endsWith("K") ? item.substring(0, item.length() - 1) : item;
            int multiplier = digits.length() == item.length() ? 1 : 1024;
            int value;
            try {
                value = Math.multiplyExact(Integer.parseInt(digits), multiplier);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException("--lengths: '" + item + "' is not a token count such as 2048 or 2k");
            }
            if (value < 1) {
                throw new IllegalArgumentException("--lengths: '" + item + "' must be at least 1 token");
            }
            lengths.add(value);
        }
        return List.copyOf(lengths);
    }

    /**
     * Depths as fractions of the haystack in [0, 1]: a list {@code "0,0.25,1"}, or {@code "0..1/10"} for
     * eleven evenly spaced depths from 0 to 1 (10 steps).
     */
    public static List<Double> depths(String spec) {
        String trimmed = spec.trim();
        int range = trimmed.indexOf("..");
        if (range >= 0) {
            int slash = trimmed.indexOf('/', range);
            if (slash < 0) {
                throw new IllegalArgumentException("--depths: '" + spec + "' must look like 0..1/10 (from..to/steps)");
            }
            double from = fraction(trimmed.substring(0, range), spec);
            double to = fraction(trimmed.substring(range + 2, slash), spec);
            int steps;
            try {
                steps = Integer.parseInt(trimmed.substring(slash + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--depths: the step count in '" + spec + "' is not a whole number");
            }
            if (steps < 1 || from > to) {
                throw new IllegalArgumentException("--depths: '" + spec + "' needs from <= to and at least 1 step");
            }
            List<Double> depths = new ArrayList<>();
            for (int i = 0; i <= steps; i++) {
                // Rounded to 1e-9 so 0..1/10 gives 0.3, not 0.30000000000000004, in file names and CSV.
                depths.add(Math.rint((from + (to - from) * i / steps) * 1e9) / 1e9);
            }
            return List.copyOf(depths);
        }
        List<Double> depths = new ArrayList<>();
        for (String item : items(spec, "--depths")) {
            depths.add(fraction(item, spec));
        }
        return List.copyOf(depths);
    }

    /** Budget texts as given ({@code "64"} tokens or {@code "0.2"} of the prompt), each checked. */
    public static List<String> budgets(String spec) {
        List<String> budgets = new ArrayList<>();
        for (String item : items(spec, "--budgets")) {
            try {
                double value = Double.parseDouble(item);
                boolean whole = item.matches("\\d+");
                if (whole ? value < 1 : !(value > 0 && value <= 1)) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--budgets: '" + item
                        + "' is neither a token count (a whole number >= 1) nor a ratio in (0, 1]");
            }
            budgets.add(item);
        }
        return List.copyOf(budgets);
    }

    /** Comma-separated names, e.g. policies. */
    public static List<String> names(String spec, String option) {
        return items(spec, option);
    }

    private static List<String> items(String spec, String option) {
        List<String> items = new ArrayList<>();
        for (String item : spec.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(option + ": the list is empty");
        }
        return List.copyOf(items);
    }

    private static double fraction(String text, String spec) {
        try {
            double value = Double.parseDouble(text.trim());
            if (value >= 0 && value <= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--depths: '" + text.trim() + "' in '" + spec + "' is not a fraction in [0, 1]");
    }
}
