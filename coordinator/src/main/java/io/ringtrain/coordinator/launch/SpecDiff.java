package io.ringtrain.coordinator.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What changes between two canonical specs, one line per field: {@code spec.steps: 300 -> 600}. */
final class SpecDiff {

    private SpecDiff() {
    }

    static List<String> between(Map<String, Object> before, Map<String, Object> after) {
        List<String> lines = new ArrayList<>();
        walk("", before, after, lines);
        return lines;
    }

    @SuppressWarnings("unchecked")
    private static void walk(String path, Object before, Object after, List<String> lines) {
        if (before instanceof Map<?, ?> b && after instanceof Map<?, ?> a) {
            // The new spec's order (the reference's), then what only the old one had.
            List<String> ordered = new ArrayList<>();
            ((Map<String, Object>) a).keySet().forEach(ordered::add);
            ((Map<String, Object>) b).keySet().stream().filter(k -> !ordered.contains(k)).forEach(ordered::add);
            for (String key : ordered) {
                walk(path.isEmpty() ? key : path + "." + key, b.get(key), a.get(key), lines);
            }
            return;
        }
        if (!String.valueOf(before).equals(String.valueOf(after))) {
            lines.add(path + ": " + show(before) + " -> " + show(after));
        }
    }

    private static String show(Object value) {
        if (value == null) {
            return "(none)";
        }
        if (value instanceof String s && s.isEmpty()) {
            return "\"\"";
        }
        return String.valueOf(value);
    }
}
