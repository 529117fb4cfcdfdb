package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.ringtrain.coordinator.k8s.RunNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies a rendered run with server-side apply (field manager {@code ringtrain}): the run's ConfigMap first, then
 * everything else owned by it, so that deleting the ConfigMap (or {@code ringtrain delete}) deletes the run. Objects
 * that already hold what the spec says are not written at all, so applying an unchanged spec changes nothing. A run
 * that exists with another spec is changed only when asked ({@code --update}). If any write fails, what this call
 * wrote is undone (new objects deleted, changed ones put back as they were) before the error is reported.
 */
public final class RunApplier {

    public static final String FIELD_MANAGER = "ringtrain";

    /**
     * @param specChanges field by field, old -> new (empty for a new or an unchanged run)
     * @param written     the objects created or changed ("StatefulSet mlp-demo-worker")
     * @param unchanged   how many already held what the spec says
     */
    public record Outcome(boolean created, List<String> specChanges, List<String> written, int unchanged) {
    }

    private final KubernetesClient client;
    private final String namespace;

    public RunApplier(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /**
     * @param update apply a changed spec to a run that exists; without it such a run is an error
     * @throws IllegalStateException saying what went wrong and what to do; nothing this call wrote remains
     */
    public Outcome apply(TrainingRun run, boolean update) {
        checkSecret(run);
        List<HasMetadata> rendered = RunRenderer.render(run, namespace);
        List<HasMetadata> live = new ArrayList<>();
        for (HasMetadata object : rendered) {
            HasMetadata current = call(() -> client.resource(object).inNamespace(namespace).get(), "read " + id(object));
            if (current != null && !run.name().equals(labels(current).get(RunNames.INSTANCE))) {
                throw new IllegalStateException(id(object) + " already exists in namespace " + namespace + " and is not part of run "
                        + run.name() + ": choose another metadata.name");
            }
            live.add(current);
        }
        ConfigMap liveRun = (ConfigMap) live.get(0);
        List<String> changes = List.of();
        if (liveRun != null) {
            changes = specChanges(liveRun, run);
            if (!changes.isEmpty() && !update) {
                throw new IllegalStateException("run " + run.name() + " already exists in namespace " + namespace + " with another spec ("
                        + String.join("; ", changes) + "): add --update to apply the change, or `ringtrain delete " + run.name()
                        + "` first");
            }
        }
        List<Applied> done = new ArrayList<>();
        List<String> written = new ArrayList<>();
        OwnerReference owner = null;
        try {
            for (int i = 0; i < rendered.size(); i++) {
                HasMetadata object = rendered.get(i);
                if (owner != null) {
                    object.getMetadata().setOwnerReferences(List.of(owner));
                }
                HasMetadata current = live.get(i);
                HasMetadata result = current;
                if (current == null || !LiveObjects.holds(client, current, object)) {
                    result = call(() -> client.resource(object).inNamespace(namespace).fieldManager(FIELD_MANAGER).forceConflicts()
                            .serverSideApply(), (current == null ? "create " : "update ") + id(object) + " in namespace " + namespace);
                    done.add(new Applied(object, current));
                    written.add(id(object));
                }
                if (i == 0) {
                    owner = new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap").withName(run.name())
                            .withUid(result.getMetadata().getUid()).withController(true).build();
                }
            }
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; " + undo(done));
        }
        return new Outcome(liveRun == null, changes, written, rendered.size() - written.size());
    }

    /** The spec stored with the live run against this one; a stored spec that does not parse differs from any. */
    private static List<String> specChanges(ConfigMap liveRun, TrainingRun run) {
        String stored = liveRun.getData() == null ? null : liveRun.getData().get(RunNames.SPEC_KEY);
        Map<String, Object> after = TrainingRunWriter.tree(run);
        if (stored == null) {
            return List.of("its ConfigMap holds no " + RunNames.SPEC_KEY);
        }
        try {
            return SpecDiff.between(TrainingRunWriter.tree(TrainingRunReader.parse(stored)), after);
        } catch (RunSpecException e) {
            return List.of("its stored spec does not parse (" + e.getMessage() + ")");
        }
    }

    /**
     * The pods' credentials must exist before anything is applied: pods whose Secret is missing never start, and the
     * run would sit in Pending with nothing saying why.
     */
    private void checkSecret(TrainingRun run) {
        String name = run.spec().checkpoints().s3().secret();
        if (name.isEmpty()) {
            return;
        }
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return; // may not read Secrets; the pods (with their own account) may still use it
            }
            throw new IllegalStateException(ApiAccess.describe(e, "read Secret " + name + " in namespace " + namespace, client.getConfiguration()));
        }
        String create = "kubectl -n " + namespace + " create secret generic " + name
                + " --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...";
        if (secret == null) {
            throw new IllegalStateException("Secret " + name + " (spec.checkpoints.s3.secret) does not exist in namespace " + namespace
                    + ": create it (" + create + "), or set spec.checkpoints.s3.secret to \"\" to use workload identity");
        }
        for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
            boolean has = (secret.getData() != null && secret.getData().containsKey(key))
                    || (secret.getStringData() != null && secret.getStringData().containsKey(key));
            if (!has) {
                throw new IllegalStateException("Secret " + name + " in namespace " + namespace + " has no key " + key
                        + ": the run's pods read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from it (" + create + ")");
            }
        }
    }

    private record Applied(HasMetadata object, HasMetadata before) {
    }

    /** Deletes what this call created and puts back what it changed, newest first; says what it could not. */
    private String undo(List<Applied> done) {
        if (done.isEmpty()) {
            return "nothing was written";
        }
        List<String> failed = new ArrayList<>();
        for (int i = done.size() - 1; i >= 0; i--) {
            Applied a = done.get(i);
            try {
                if (a.before() == null) {
                    client.resource(a.object()).inNamespace(namespace).delete();
                } else {
                    client.resource(LiveObjects.restorable(a.before())).inNamespace(namespace).fieldManager(FIELD_MANAGER)
                            .forceConflicts().serverSideApply();
                }
            } catch (KubernetesClientException e) {
                failed.add(id(a.object()) + " (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
        }
        return failed.isEmpty() ? "undone: the " + done.size() + " object(s) written before it were " + "deleted or put back as they were"
                : "could not undo " + String.join(", ", failed) + ": check them with kubectl, or `ringtrain delete` the run";
    }

    private <T> T call(java.util.function.Supplier<T> request, String doing) {
        try {
            return request.get();
        } catch (KubernetesClientException e) {
            throw new IllegalStateException(ApiAccess.describe(e, doing, client.getConfiguration()), e);
        }
    }

    static String id(HasMetadata object) {
        return object.getKind() + " " + object.getMetadata().getName();
    }

    private static Map<String, String> labels(HasMetadata object) {
        return object.getMetadata().getLabels() == null ? Map.of() : object.getMetadata().getLabels();
    }
}
