package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;

/** Comparing what the API server holds with what a run spec renders, and putting an object back as it was. */
final class LiveObjects {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private LiveObjects() {
    }

    /**
     * Whether {@code live} already holds every field {@code desired} sets, to the same value: the question server-side
     * apply answers when it changes nothing. Fields the server or others added (defaults, status, other managers'
     * fields) do not count; list elements are compared in order, each the same way.
     */
    static boolean holds(KubernetesClient client, HasMetadata live, HasMetadata desired) {
        KubernetesSerialization s = client.getKubernetesSerialization();
        return contains(s.convertValue(live, Map.class), s.convertValue(desired, Map.class));
    }

    static boolean contains(Object live, Object desired) {
        if (desired instanceof Map<?, ?> want) {
            if (!(live instanceof Map<?, ?> have)) {
                return want.isEmpty() && live == null;
            }
            for (Map.Entry<?, ?> e : want.entrySet()) {
                if (!contains(have.get(e.getKey()), e.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (desired instanceof List<?> want) {
            if (!(live instanceof List<?> have) || have.size() != want.size()) {
                return want.isEmpty() && live == null;
            }
            for (int i = 0; i < want.size(); i++) {
                if (!contains(have.get(i), want.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (desired instanceof Number a && live instanceof Number b) {
            return a.doubleValue() == b.doubleValue();
        }
        return java.util.Objects.equals(desired == null ? null : desired.toString(), live == null ? null : live.toString());
    }

    /** {@code before} as an applied configuration: without what only the server sets (uid, versions, managed fields, status). */
    static HasMetadata restorable(HasMetadata before) {
        HasMetadata copy = SERIALIZATION.clone(before);
        ObjectMeta m = copy.getMetadata();
        m.setUid(null);
        m.setResourceVersion(null);
        m.setManagedFields(null);
        m.setCreationTimestamp(null);
        m.setGeneration(null);
        return copy;
    }
}
