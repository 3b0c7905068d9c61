package io.kvsqueeze.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * {@code tojson} as Hugging Face's chat template renderer defines it: Python's
 * {@code json.dumps(value, ensure_ascii=False, indent=indent)}, so {@code {"a": 1, "b": [1, 2]}} with a space
 * after {@code :} and {@code ,} (Jinjava's own filter writes compact JSON). Tool-calling templates print
 * arguments with it, and the model was trained on that spacing.
 */
final class PythonJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
        return toJson(value, indent);
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        return toJson(value, indent == null ? null : ((Number) indent).intValue());
    }

    static String toJson(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(value, indent, 0, out);
        return out.toString();
    }

    private static void write(Object value, Integer indent, int depth, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d when d.isNaN() -> out.append("NaN");
            case Double d when d.isInfinite() -> out.append(d > 0 ? "Infinity" : "-Infinity");
            case Float f -> write(f.doubleValue(), indent, depth, out);
            case Double d when d == Math.rint(d) && Math.abs(d) < 1e16 -> out.append((long) d.doubleValue()).append(".0");
            case Number n -> out.append(n);
            case CharSequence s -> writeString(s.toString(), out);
            case Map<?, ?> map -> writeContainer('{', '}', map.entrySet(), indent, depth, out, (entry, sink) -> {
                writeString(String.valueOf(entry.getKey()), sink);
                sink.append(": ");
                write(entry.getValue(), indent, depth + 1, sink);
            });
            case Iterable<?> items -> writeContainer('[', ']', items, indent, depth, out,
                    (item, sink) -> write(item, indent, depth + 1, sink));
            case Object[] items -> write(java.util.Arrays.asList(items), indent, depth, out);
            default -> writeString(String.valueOf(value), out);
        }
    }

    private static <T> void writeContainer(char open, char close, Iterable<T> items, Integer indent, int depth,
                                           StringBuilder out, java.util.function.BiConsumer<T, StringBuilder> writeItem) {
        out.append(open);
        boolean first = true;
        for (T item : items) {
            if (!first) {
                out.append(indent == null ? ", " : ",");
            }
            if (indent != null) {
                out.append('\n').append(" ".repeat(indent * (depth + 1)));
            }
            writeItem.accept(item, out);
            first = false;
        }
        if (indent != null && !first) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
        out.append(close);
    }

    private static void writeString(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c); // ensure_ascii=False: everything else as is
                    }
                }
            }
        }
        out.append('"');
    }
}
