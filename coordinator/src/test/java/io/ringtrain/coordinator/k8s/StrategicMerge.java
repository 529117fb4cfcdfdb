package io.ringtrain.coordinator.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of Kubernetes' strategic merge patch that ringtrain's overlays use, as kustomize applies it:
 * maps merge key by key (null deletes), lists of containers, env, volumes, volume mounts and ports merge
 * by their patch merge key (patched items first, in the patch's order, then the untouched ones, which is
 * what kustomize prints), and every other list is replaced. Patch directives ({@code $patch},
 * {@code $setElementOrder}, ...) are refused rather than guessed at.
 */
final class StrategicMerge {

    /** Field name -> merge key, from the Kubernetes API's patchMergeKey tags. */
    private static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name",
            "initContainers", "name",
            "ephemeralContainers", "name",
            "env", "name",
            "volumes", "name",
            "volumeMounts", "mountPath",
            "imagePullSecrets", "name");

    private StrategicMerge() {
    }

    /** Applies {@code patch} to {@code target} in place. */
    @SuppressWarnings("unchecked")
    static void apply(Map<String, Object> target, Map<String, Object> patch) {
        for (Map.Entry<String, Object> entry : patch.entrySet()) {
            String key = entry.getKey();
            Object value = entry.getValue();
            if (key.startsWith("$")) {
                throw new IllegalArgumentException("patch directive " + key + " is not modelled by the tests' kustomize; "
                        + "extend StrategicMerge or write the patch without it");
            }
            if (value == null) {
                target.remove(key);
            } else if (value instanceof Map && target.get(key) instanceof Map) {
                apply((Map<String, Object>) target.get(key), (Map<String, Object>) value);
            } else if (value instanceof List<?> patchList && target.get(key) instanceof List<?> targetList) {
                target.put(key, mergeList(key, (List<Object>) targetList, (List<Object>) patchList));
            } else {
                target.put(key, ManifestFiles.deepCopy(value));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> mergeList(String field, List<Object> target, List<Object> patch) {
        String key = mergeKey(field, patch);
        if (key == null) {
            return ManifestFiles.deepCopy(patch);
        }
        List<Object> merged = new ArrayList<>();
        List<Object> untouched = new ArrayList<>(target);
        for (Object item : patch) {
            Map<String, Object> patchItem = (Map<String, Object>) item;
            Object id = patchItem.get(key);
            if (id == null) {
                throw new IllegalArgumentException("an item of " + field + " in a patch lacks its merge key '" + key + "': " + item);
            }
            Map<String, Object> existing = (Map<String, Object>) untouched.stream()
                    .filter(t -> t instanceof Map<?, ?> m && id.equals(m.get(key))).findFirst().orElse(null);
            if (existing == null) {
                merged.add(ManifestFiles.deepCopy(patchItem));
            } else {
                untouched.remove(existing);
                Map<String, Object> copy = new LinkedHashMap<>(existing);
                apply(copy, patchItem);
                merged.add(copy);
            }
        }
        merged.addAll(untouched);
        return merged;
    }

    /** Container ports merge by containerPort, service ports by port; lists of scalars are replaced. */
    private static String mergeKey(String field, List<Object> patch) {
        if (patch.isEmpty() || !(patch.get(0) instanceof Map<?, ?> first)) {
            return null;
        }
        if (field.equals("ports")) {
            return first.containsKey("containerPort") ? "containerPort" : "port";
        }
        return MERGE_KEYS.get(field);
    }
}
