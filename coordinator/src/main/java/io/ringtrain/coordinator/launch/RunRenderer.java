package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.ringtrain.coordinator.k8s.RunNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run spec as the Kubernetes objects of the run, in the order they are applied: its ConfigMap first (the spec, and
 * the owner of everything else once applied), then access (ServiceAccount, Role, RoleBinding), its status ConfigMap,
 * the coordinator's and the workers' headless Services and StatefulSets, a PodDisruptionBudget and a NetworkPolicy.
 * The same objects are {@code ringtrain launch}'s and, for an example spec, the kustomize base's (a test holds them
 * equal), so the two cannot drift.
 */
public final class RunRenderer {

    private RunRenderer() {
    }

    public static List<HasMetadata> render(TrainingRun run, String namespace) {
        String name = run.name();
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(new ConfigMapBuilder().withMetadata(metadata(run, RunNames.run(name), namespace, RunNames.RUN))
                .withData(Map.of(RunNames.SPEC_KEY, TrainingRunWriter.yaml(run))).build());
        objects.add(new ServiceAccountBuilder().withMetadata(metadata(run, RunNames.run(name), namespace, RunNames.ACCESS)).build());
        objects.add(role(run, namespace));
        objects.add(new RoleBindingBuilder().withMetadata(metadata(run, RunNames.run(name), namespace, RunNames.ACCESS))
                .addNewSubject().withKind("ServiceAccount").withName(RunNames.run(name)).withNamespace(namespace).endSubject()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(RunNames.run(name)).endRoleRef()
                .build());
        // Written by the coordinator (ringtrain status reads it); applied without data, so applying the spec again never
        // resets what the coordinator recorded.
        objects.add(new ConfigMapBuilder().withMetadata(metadata(run, RunNames.status(name), namespace, RunNames.STATUS)).build());
        objects.add(headless(run, namespace, RunNames.coordinator(name), RunNames.COORDINATOR, List.of()));
        objects.add(statefulSet(run, namespace, RunNames.coordinator(name), RunNames.COORDINATOR, 1, PodTemplates.coordinator(run)));
        objects.add(headless(run, namespace, RunNames.workers(name), RunNames.WORKER, List.of(new ServicePortBuilder().withName("data-plane")
                .withPort(run.spec().dataPlane().port()).withTargetPort(new IntOrString("data-plane")).withProtocol("UDP").build())));
        objects.add(statefulSet(run, namespace, RunNames.workers(name), RunNames.WORKER, run.spec().workers().replicas(),
                PodTemplates.worker(run)));
        // Voluntary evictions (node drains) may take workers down to min, where the run still trains; pods that are not
        // running (crash looping) never block a drain.
        objects.add(new PodDisruptionBudgetBuilder().withMetadata(metadata(run, RunNames.workers(name), namespace, RunNames.WORKER))
                .withNewSpec().withMinAvailable(new IntOrString(run.spec().workers().min())).withNewSelector()
                .withMatchLabels(RunNames.pods(name, RunNames.WORKER)).endSelector()
                .withUnhealthyPodEvictionPolicy("AlwaysAllow").endSpec().build());
        objects.add(networkPolicy(run, namespace));
        return objects;
    }

    /**
     * Pods: discovery and the pod watch read them. The run's status ConfigMap: the coordinator records the run there.
     * Its StatefulSets' scale (not the StatefulSets, whose pod template says what runs with this account): the
     * coordinator scales them to 0 when the run has finished, so nothing trains it again.
     */
    private static HasMetadata role(TrainingRun run, String namespace) {
        String name = run.name();
        return new RoleBuilder().withMetadata(metadata(run, RunNames.run(name), namespace, RunNames.ACCESS))
                .addToRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("get", "watch", "list").build())
                .addToRules(new PolicyRuleBuilder().withApiGroups("").withResources("configmaps").withResourceNames(RunNames.status(name))
                        .withVerbs("get", "patch").build())
                .addToRules(new PolicyRuleBuilder().withApiGroups("apps").withResources("statefulsets/scale")
                        .withResourceNames(RunNames.coordinator(name), RunNames.workers(name)).withVerbs("get", "update").build())
                .build();
    }

    /**
     * Only the run's own pods get in, on the cluster and management ports and UDP: an Aeron sender receives its
     * receiver's status messages and retransmit requests on the ephemeral port it sends from. Kubelet probes come from
     * the pod's node, which Kubernetes always admits to its pods whatever the policy says.
     */
    private static HasMetadata networkPolicy(TrainingRun run, String namespace) {
        return new NetworkPolicyBuilder().withMetadata(metadata(run, RunNames.run(run.name()), namespace, RunNames.NETWORK))
                .withNewSpec().withNewPodSelector().withMatchLabels(RunNames.ofRun(run.name())).endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress().addNewFrom().withNewPodSelector().withMatchLabels(RunNames.ofRun(run.name())).endPodSelector().endFrom()
                .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(RunNames.CLUSTER_PORT)).build(),
                        new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(RunNames.MANAGEMENT_PORT)).build(),
                        new NetworkPolicyPortBuilder().withProtocol("UDP").build())
                .endIngress().endSpec().build();
    }

    /** Headless: it names the StatefulSet's pods; bootstrap lists pods itself, so not-ready pods count too. */
    private static Service headless(TrainingRun run, String namespace, String name, String component, List<ServicePort> extra) {
        List<ServicePort> ports = new ArrayList<>(List.of(
                new ServicePortBuilder().withName("remoting").withPort(RunNames.CLUSTER_PORT).withTargetPort(new IntOrString("remoting"))
                        .withProtocol("TCP").build(),
                new ServicePortBuilder().withName("management").withPort(RunNames.MANAGEMENT_PORT)
                        .withTargetPort(new IntOrString("management")).withProtocol("TCP").build()));
        ports.addAll(extra);
        return new ServiceBuilder().withMetadata(metadata(run, name, namespace, component)).withNewSpec().withClusterIP("None")
                .withPublishNotReadyAddresses(true).withSelector(RunNames.pods(run.name(), component)).withPorts(ports).endSpec().build();
    }

    private static StatefulSet statefulSet(TrainingRun run, String namespace, String name, String component, int replicas,
                                           PodTemplateSpec template) {
        var spec = new StatefulSetBuilder().withMetadata(metadata(run, name, namespace, component)).withNewSpec()
                .withServiceName(name).withReplicas(replicas).withNewSelector().withMatchLabels(RunNames.pods(run.name(), component))
                .endSelector().withTemplate(template);
        if (RunNames.WORKER.equals(component)) {
            // All ranks start at once; the ring forms when the coordinator has them, not pod by pod.
            spec.withPodManagementPolicy("Parallel");
        }
        return spec.endSpec().build();
    }

    private static ObjectMeta metadata(TrainingRun run, String name, String namespace, String component) {
        return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels(run, component))
                .withAnnotations(annotations(run)).build();
    }

    /** The run's own labels and the spec's extra ones, sorted (stable output). */
    static Map<String, String> labels(TrainingRun run, String component) {
        Map<String, String> labels = new TreeMap<>(run.labels());
        labels.putAll(RunNames.labels(run.name(), component));
        return new LinkedHashMap<>(labels);
    }

    /** The spec's annotations; null when there are none, so that no empty field is written. */
    static Map<String, String> annotations(TrainingRun run) {
        return run.annotations().isEmpty() ? null : new TreeMap<>(run.annotations());
    }
}
