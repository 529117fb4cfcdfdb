package io.ringtrain.coordinator.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One mapping of a spec file, read field by field under its path ({@code spec.workers}): every getter names the
 * field it read, so {@link #done()} can reject whatever is left as unknown, naming its path and the fields that are
 * known there. Messages name the field and what is allowed.
 */
final class SpecFields {

    private final String path;
    private final Map<String, Object> values;
    private final Set<String> known = new LinkedHashSet<>();

    private SpecFields(String path, Map<String, Object> values) {
        this.path = path;
        this.values = values;
    }

    /** {@code node} as a mapping at {@code path}; null is an empty one. */
    @SuppressWarnings("unchecked")
    static SpecFields of(Object node, String path) {
        if (node == null) {
            return new SpecFields(path, Map.of());
        }
        if (!(node instanceof Map<?, ?> map)) {
            throw new RunSpecException(path + " must be a mapping (key: value lines), got " + describe(node));
        }
        for (Object key : map.keySet()) {
            if (!(key instanceof String)) {
                throw new RunSpecException(path + " has a key that is not a string: " + key);
            }
        }
        return new SpecFields(path, (Map<String, Object>) map);
    }

    String path(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private Object take(String field) {
        known.add(field);
        return values.get(field);
    }

    boolean has(String field) {
        return values.get(field) != null;
    }

    String string(String field, String fallback) {
        Object value = take(field);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Map || value instanceof List || value instanceof Boolean) {
            throw new RunSpecException(path(field) + " must be a string, got " + describe(value));
        }
        return value.toString().trim();
    }

    String requiredString(String field, String example) {
        String value = string(field, "");
        if (value.isEmpty()) {
            throw new RunSpecException(path(field) + " is required (e.g. " + field + ": " + example + ")");
        }
        return value;
    }

    /** A Kubernetes quantity: written as a string ("500m", "4Gi") or a plain number (2). */
    String quantity(String field, String fallback) {
        Object value = take(field);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof String || value instanceof Number)) {
            throw new RunSpecException(path(field) + " must be a quantity such as 2, 500m or 4Gi, got " + describe(value));
        }
        return value.toString().trim();
    }

    long integer(String field, long fallback) {
        Object value = take(field);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return ((Number) value).longValue();
        }
        if (value instanceof java.math.BigInteger big) {
            if (big.bitLength() > 63) {
                throw new RunSpecException(path(field) + " is too large: " + value);
            }
            return big.longValue();
        }
        throw new RunSpecException(path(field) + " must be a whole number, got " + describe(value));
    }

    int smallInteger(String field, int fallback) {
        long value = integer(field, fallback);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new RunSpecException(path(field) + " is too large: " + value);
        }
        return (int) value;
    }

    double number(String field, double fallback) {
        Object value = take(field);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number number)) {
            throw new RunSpecException(path(field) + " must be a number, got " + describe(value));
        }
        return number.doubleValue();
    }

    /** A mapping of strings to scalars (labels, options), the scalars as strings; absent: empty. */
    Map<String, String> stringMap(String field) {
        Object value = take(field);
        if (value == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        SpecFields map = of(value, path(field));
        for (Map.Entry<String, Object> e : map.values.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map || v instanceof List) {
                throw new RunSpecException(path(field) + "." + e.getKey() + " must be a string, got " + describe(v));
            }
            out.put(e.getKey(), v == null ? "" : v.toString());
        }
        return out;
    }

    /** A nested mapping; absent: an empty one, so its fields take their defaults. */
    SpecFields object(String field) {
        return of(take(field), path(field));
    }

    /** A list of mappings; absent: empty. */
    List<SpecFields> objects(String field) {
        Object value = take(field);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new RunSpecException(path(field) + " must be a list, got " + describe(value));
        }
        List<SpecFields> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(of(list.get(i), path(field) + "[" + i + "]"));
        }
        return out;
    }

    /** Fails on the first field nobody read: a typo, or a field of another version of the spec. */
    void done() {
        for (String field : values.keySet()) {
            if (!known.contains(field)) {
                throw new RunSpecException(path(field) + " is not a field of a " + TrainingRun.KIND + " (" + TrainingRun.API_VERSION
                        + "); known" + (path.isEmpty() ? "" : " in " + path) + ": " + String.join(", ", known));
            }
        }
    }

    static String describe(Object value) {
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String s) {
            return "the string '" + s + "'";
        }
        return String.valueOf(value);
    }
}
