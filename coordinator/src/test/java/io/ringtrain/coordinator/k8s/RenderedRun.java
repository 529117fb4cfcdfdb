package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One variant of the run (the base, or an overlay) rendered as {@code kubectl kustomize} would print it,
 * as fabric8 objects, with finders for the objects the tests look at.
 */
record RenderedRun(String variant, List<Map<String, Object>> documents, List<HasMetadata> objects) {

    static final String COORDINATOR = "mlp-demo-coordinator";
    static final String WORKER = "mlp-demo-worker";

    /** Variants users apply, and the base they share. */
    static final List<String> VARIANTS = List.of("base", "overlays/cpu", "overlays/gpu");

    static RenderedRun of(String variant) {
        Path dir = ManifestFiles.dir(variant);
        List<Map<String, Object>> documents = Kustomize.render(dir);
        return new RenderedRun(variant, documents, documents.stream().map(ManifestFiles::toModel).toList());
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError(variant + " has no " + type.getSimpleName() + " " + name));
    }

    StatefulSet coordinator() {
        return get(StatefulSet.class, COORDINATOR);
    }

    StatefulSet workers() {
        return get(StatefulSet.class, WORKER);
    }

    static Container container(StatefulSet set) {
        List<Container> containers = set.getSpec().getTemplate().getSpec().getContainers();
        if (containers.size() != 1) {
            throw new AssertionError(set.getMetadata().getName() + " has " + containers.size() + " containers; the tests expect one");
        }
        return containers.get(0);
    }

    Optional<ConfigMap> configMap(String name) {
        return find(ConfigMap.class, name);
    }

    Service service(String name) {
        return get(Service.class, name);
    }

    List<Role> roles() {
        return all(Role.class);
    }

    List<RoleBinding> roleBindings() {
        return all(RoleBinding.class);
    }

    List<ServiceAccount> serviceAccounts() {
        return all(ServiceAccount.class);
    }

    /** The namespace the overlay puts everything in; null for the base, which leaves it to kubectl. */
    String namespace() {
        return objects.get(0).getMetadata().getNamespace();
    }

    @Override
    public String toString() {
        return variant;
    }
}
