package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.k8s.RunNames;
import io.ringtrain.coordinator.k8s.RunStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The runs `ringtrain launch` started in one namespace, as `runs`, `status`, `delete` and `logs` see them. */
public final class LaunchedRuns {

    private final KubernetesClient client;
    private final String namespace;

    public LaunchedRuns(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /**
     * One run: its spec (null if its stored spec does not parse), what its coordinator last recorded, and its worker
     * StatefulSet's desired and ready replicas.
     */
    public record Run(String name, String namespace, TrainingRun spec, RunStatus status, int desiredWorkers, int readyWorkers,
                      Instant created) {
    }

    public List<Run> list() {
        List<Run> runs = new ArrayList<>();
        for (ConfigMap map : client.configMaps().inNamespace(namespace)
                .withLabels(Map.of(RunNames.COMPONENT, RunNames.RUN, RunNames.MANAGED_BY, RunNames.APP)).list().getItems()) {
            runs.add(view(map));
        }
        runs.sort(Comparator.comparing(Run::name));
        return runs;
    }

    public Optional<Run> get(String name) {
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(RunNames.run(name)).get();
        if (map == null || !RunNames.RUN.equals(labels(map).get(RunNames.COMPONENT))) {
            return Optional.empty();
        }
        return Optional.of(view(map));
    }

    private Run view(ConfigMap map) {
        String name = map.getMetadata().getName();
        TrainingRun spec;
        try {
            spec = TrainingRunReader.parse(map.getData() == null ? "" : map.getData().getOrDefault(RunNames.SPEC_KEY, ""));
        } catch (RunSpecException e) {
            spec = null;
        }
        ConfigMap status = client.configMaps().inNamespace(namespace).withName(RunNames.status(name)).get();
        StatefulSet workers = client.apps().statefulSets().inNamespace(namespace).withName(RunNames.workers(name)).get();
        int desired = workers == null || workers.getSpec().getReplicas() == null ? 0 : workers.getSpec().getReplicas();
        int ready = workers == null || workers.getStatus() == null || workers.getStatus().getReadyReplicas() == null ? 0
                : workers.getStatus().getReadyReplicas();
        String created = map.getMetadata().getCreationTimestamp();
        return new Run(name, namespace, spec, RunStatus.fromData(status == null ? null : status.getData()), desired, ready,
                created == null ? null : Instant.parse(created));
    }

    /** Scales the run's StatefulSets to 0 (workers first), so that its pods stop before anything else goes. */
    public void stop(String name) {
        for (String set : List.of(RunNames.workers(name), RunNames.coordinator(name))) {
            if (client.apps().statefulSets().inNamespace(namespace).withName(set).get() != null) {
                client.apps().statefulSets().inNamespace(namespace).withName(set).scale(0);
            }
        }
    }

    /** The run's pods still there (StatefulSets scaled down or deleted, pods terminating). */
    public List<String> pods(String name) {
        return client.pods().inNamespace(namespace).withLabel(RunNames.INSTANCE, name).list().getItems().stream()
                .map(p -> p.getMetadata().getName()).sorted().toList();
    }

    /**
     * Deletes every object of the run, the StatefulSets first and the run's ConfigMap (the owner) last; on a real
     * cluster the owner references would take the rest with it, on any server this leaves nothing behind.
     *
     * @return what was deleted ("StatefulSet mlp-demo-worker")
     */
    public List<String> delete(String name) {
        Map<String, String> selector = Map.of(RunNames.INSTANCE, name, RunNames.MANAGED_BY, RunNames.APP);
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(client.apps().statefulSets().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.policy().v1().podDisruptionBudget().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.network().v1().networkPolicies().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.services().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.rbac().roleBindings().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.rbac().roles().inNamespace(namespace).withLabels(selector).list().getItems());
        objects.addAll(client.serviceAccounts().inNamespace(namespace).withLabels(selector).list().getItems());
        List<ConfigMap> maps = new ArrayList<>(client.configMaps().inNamespace(namespace).withLabels(selector).list().getItems());
        maps.sort(Comparator.comparing(m -> RunNames.RUN.equals(labels(m).get(RunNames.COMPONENT)))); // the owner last
        objects.addAll(maps);
        List<String> deleted = new ArrayList<>();
        for (HasMetadata object : objects) {
            client.resource(object).inNamespace(namespace).delete();
            deleted.add(RunApplier.id(object));
        }
        return deleted;
    }

    /** Deletes the run's checkpoints; @return where they were and how many objects that was. */
    public String deleteCheckpoints(TrainingRun spec) {
        return RunCheckpoints.delete(spec, client, namespace);
    }

    private static Map<String, String> labels(HasMetadata object) {
        return object.getMetadata().getLabels() == null ? Map.of() : object.getMetadata().getLabels();
    }
}
