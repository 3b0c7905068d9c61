package io.kvsqueeze.engine.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods for Jinjava, because Hugging Face chat templates are written against Python's
 * Jinja: {@code message['content'].strip()}, {@code .startswith('<think>')}, {@code .split('</think>')} and
 * the like. Jinjava would otherwise call the Java method of the same name where one exists (with different
 * behaviour: Java's {@code split} takes a regex) or fail where none does ({@code startswith}).
 *
 * <p>Only calls on strings with a method name and argument count listed here are handled; everything else
 * is left to Jinjava's own resolvers.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String text) || method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(text, method.toString(), args);
        if (result != null) {
            context.setPropertyResolved(true);
        }
        return result;
    }

    /** The result of {@code text.name(args)} in Python, or null if that method is not one we emulate. */
    static Object call(String text, String name, Object[] args) {
        return switch (name + "/" + args.length) {
            case "startswith/1" -> anyOf(args[0], text::startsWith);
            case "endswith/1" -> anyOf(args[0], text::endsWith);
            case "upper/0" -> text.toUpperCase(Locale.ROOT);
            case "lower/0" -> text.toLowerCase(Locale.ROOT);
            case "capitalize/0" -> text.isEmpty() ? text
                    : text.substring(0, text.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                    + text.substring(text.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "title/0" -> title(text);
            case "strip/0" -> stripEnd(stripStart(text, null), null);
            case "strip/1" -> stripEnd(stripStart(text, charsOrNull(args[0])), charsOrNull(args[0]));
            case "lstrip/0" -> stripStart(text, null);
            case "lstrip/1" -> stripStart(text, charsOrNull(args[0]));
            case "rstrip/0" -> stripEnd(text, null);
            case "rstrip/1" -> stripEnd(text, charsOrNull(args[0]));
            case "split/0" -> split(text, null, -1);
            case "split/1" -> split(text, charsOrNull(args[0]), -1);
            case "split/2" -> split(text, charsOrNull(args[0]), ((Number) args[1]).intValue());
            case "replace/2" -> text.replace(String.valueOf(args[0]), String.valueOf(args[1]));
            case "replace/3" -> replace(text, String.valueOf(args[0]), String.valueOf(args[1]),
                    ((Number) args[2]).intValue());
            case "join/1" -> join(text, args[0]);
            case "find/1" -> (long) text.indexOf(String.valueOf(args[0]));
            case "count/1" -> count(text, String.valueOf(args[0]));
            default -> null;
        };
    }

    private static Boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> options) { // a Python tuple of alternatives
            return options.stream().anyMatch(option -> test.test(String.valueOf(option)));
        }
        return test.test(String.valueOf(prefixes));
    }

    private static String charsOrNull(Object chars) {
        return chars == null ? null : String.valueOf(chars);
    }

    /** Python's str.isspace for one character: Unicode whitespace, including no-break spaces. */
    private static boolean isPythonSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint) || codePoint == 0x85;
    }

    private static boolean strippable(int codePoint, String chars) {
        return chars == null ? isPythonSpace(codePoint) : chars.indexOf(codePoint) >= 0;
    }

    private static String stripStart(String text, String chars) {
        int start = 0;
        while (start < text.length() && strippable(text.codePointAt(start), chars)) {
            start += Character.charCount(text.codePointAt(start));
        }
        return text.substring(start);
    }

    private static String stripEnd(String text, String chars) {
        int end = text.length();
        while (end > 0 && strippable(text.codePointBefore(end), chars)) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        return text.substring(0, end);
    }

    /**
     * Python's split: without a separator, on runs of whitespace with empty parts dropped; with one, on each
     * literal occurrence, empty parts kept. At most {@code maxSplit} splits when it is not negative.
     */
    private static List<String> split(String text, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < text.length() && isPythonSpace(text.codePointAt(i))) {
                    i += Character.charCount(text.codePointAt(i));
                }
                if (i >= text.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(text.substring(i)); // Python keeps the remainder's trailing whitespace
                    return parts;
                }
                int start = i;
                while (i < text.length() && !isPythonSpace(text.codePointAt(i))) {
                    i += Character.charCount(text.codePointAt(i));
                }
                parts.add(text.substring(start, i));
            }
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        for (int at = text.indexOf(separator); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit);
             at = text.indexOf(separator, from)) {
            parts.add(text.substring(from, at));
            from = at + separator.length();
        }
        parts.add(text.substring(from));
        return parts;
    }

    private static String replace(String text, String old, String replacement, int count) {
        if (count < 0) {
            return text.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            int at = text.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(text, from, at).append(replacement);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from >= text.length()) {
                    break;
                }
                out.append(text.charAt(from++));
            }
        }
        return out.append(text.substring(Math.min(from, text.length()))).toString();
    }

    private static String join(String separator, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> iterable) {
            iterable.forEach(item -> parts.add(String.valueOf(item)));
        } else if (items instanceof String string) {
            string.codePoints().forEach(codePoint -> parts.add(Character.toString(codePoint)));
        } else {
            parts.add(String.valueOf(items));
        }
        return String.join(separator, parts);
    }

    private static Long count(String text, String part) {
        if (part.isEmpty()) {
            return (long) text.codePointCount(0, text.length()) + 1;
        }
        long count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    private static String title(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean previousIsCased = false;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            boolean cased = Character.isLetter(codePoint);
            out.appendCodePoint(cased && !previousIsCased ? Character.toTitleCase(codePoint)
                    : Character.toLowerCase(codePoint));
            previousIsCased = cased;
        }
        return out.toString();
    }

    // Not a property resolver: leave every property access to the resolvers after this one.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
