package io.ringtrain.coordinator.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The strategic merge patch that turns one object into another, as kustomize applies it: maps carry only what
 * changed (null removes a key), lists of containers, env, volumes and volume mounts are merged by their merge key and
 * written whole, each item by its key plus what changed in it (kustomize puts patched items first, so writing them all
 * keeps the target's order), and every other list is replaced.
 */
final class PatchDiff {

    private static final Map<String, String> MERGE_KEYS = Map.of("containers", "name", "initContainers", "name", "env", "name",
            "volumes", "name", "volumeMounts", "mountPath");
    private static final Object SAME = new Object();

    private PatchDiff() {
    }

    /** A patch document for {@code to} (apiVersion, kind, name and the changes), or null when nothing differs. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> patch(Map<String, Object> from, Map<String, Object> to) {
        Object diff = diff(null, from, to);
        if (diff == SAME) {
            return null;
        }
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("apiVersion", to.get("apiVersion"));
        patch.put("kind", to.get("kind"));
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", KustomizeFiles.name(to));
        Map<String, Object> changes = (Map<String, Object>) diff;
        if (changes.get("metadata") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> metadata.put((String) k, v));
        }
        patch.put("metadata", metadata);
        changes.forEach((k, v) -> {
            if (!k.equals("metadata") && !k.equals("apiVersion") && !k.equals("kind")) {
                patch.put(k, v);
            }
        });
        return patch;
    }

    @SuppressWarnings("unchecked")
    private static Object diff(String field, Object from, Object to) {
        if (from instanceof Map<?, ?> a && to instanceof Map<?, ?> b) {
            Map<String, Object> changes = new LinkedHashMap<>();
            b.forEach((k, v) -> {
                Object d = diff((String) k, a.get(k), v);
                if (d != SAME) {
                    changes.put((String) k, d);
                }
            });
            a.keySet().stream().filter(k -> !b.containsKey(k)).forEach(k -> changes.put((String) k, null));
            return changes.isEmpty() ? SAME : changes;
        }
        if (from instanceof List<?> a && to instanceof List<?> b && MERGE_KEYS.containsKey(field)) {
            String key = MERGE_KEYS.get(field);
            boolean changed = a.size() != b.size();
            List<Object> items = new ArrayList<>();
            for (Object item : b) {
                Map<String, Object> target = (Map<String, Object>) item;
                Object id = target.get(key);
                Map<String, Object> source = (Map<String, Object>) a.stream()
                        .filter(x -> Objects.equals(((Map<String, Object>) x).get(key), id)).findFirst().orElse(null);
                Map<String, Object> patched = new LinkedHashMap<>();
                patched.put(key, id);
                if (source == null) {
                    patched.putAll(target);
                    changed = true;
                } else {
                    Object d = diff(null, source, target);
                    if (d != SAME) {
                        ((Map<String, Object>) d).forEach(patched::putIfAbsent);
                        changed = true;
                    }
                }
                items.add(patched);
            }
            if (a.stream().anyMatch(x -> b.stream().noneMatch(y -> Objects.equals(((Map<String, Object>) x).get(key),
                    ((Map<String, Object>) y).get(key))))) {
                throw new IllegalStateException("the GPU spec removes an item of " + field + "; PatchDiff does not write $patch: delete");
            }
            return changed ? items : SAME;
        }
        return Objects.equals(from, to) ? SAME : to;
    }
}
