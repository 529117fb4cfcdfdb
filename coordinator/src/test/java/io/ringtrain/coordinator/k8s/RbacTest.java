package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The pods may list pods in their namespace (Kubernetes API discovery) through their own service account, and no more. */
@Timeout(30)
class RbacTest {

    static final List<String> VARIANTS = RenderedRun.VARIANTS;
    static final List<String> OVERLAYS = List.of("overlays/cpu", "overlays/gpu");
    private static final Set<String> DISCOVERY_VERBS = Set.of("get", "watch", "list");

    /**
     * Pods: discovery and the pod watch read them, nothing may change them. The run's own status ConfigMap and its own
     * two StatefulSets' scale, by name: the coordinator records the run's status and scales the run down when it has
     * finished; it may not change what the StatefulSets run.
     */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theRoleGrantsReadingPodsAndChangingOnlyTheRunsOwnStatusAndStatefulSets(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        assertEquals(1, run.roles().size());
        List<PolicyRule> rules = run.roles().get(0).getRules();
        assertEquals(3, rules.size(), "read pods; the status ConfigMap; the StatefulSets");
        assertEquals(List.of(""), rules.get(0).getApiGroups(), "pods are in the core API group \"\"");
        assertEquals(List.of("pods"), rules.get(0).getResources());
        assertEquals(DISCOVERY_VERBS, Set.copyOf(rules.get(0).getVerbs()), "discovery lists pods; nothing may change them");
        assertTrue(rules.get(0).getResourceNames().isEmpty(), "discovery lists the pods, whose names it does not know");

        assertEquals(List.of("configmaps"), rules.get(1).getResources());
        assertEquals(List.of(RunNames.status("mlp-demo")), rules.get(1).getResourceNames(), "its own status ConfigMap, nothing else");
        assertEquals(Set.of("get", "patch"), Set.copyOf(rules.get(1).getVerbs()));

        assertEquals(List.of("apps"), rules.get(2).getApiGroups());
        assertEquals(List.of("statefulsets/scale"), rules.get(2).getResources(), "the scale only, not the pod template");
        Set<String> sets = new java.util.TreeSet<>();
        run.all(StatefulSet.class).forEach(set -> sets.add(set.getMetadata().getName()));
        assertEquals(sets, Set.copyOf(rules.get(2).getResourceNames()), "the run's own StatefulSets, by name");
        assertEquals(Set.of("get", "update"), Set.copyOf(rules.get(2).getVerbs()));
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theBindingGivesTheRoleToTheServiceAccountEveryPodRunsAs(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        Role role = run.roles().get(0);
        assertEquals(1, run.roleBindings().size());
        RoleBinding binding = run.roleBindings().get(0);
        assertEquals("Role", binding.getRoleRef().getKind());
        assertEquals("rbac.authorization.k8s.io", binding.getRoleRef().getApiGroup());
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName(), "the binding must name the Role");

        for (StatefulSet set : run.all(StatefulSet.class)) {
            PodSpec pod = set.getSpec().getTemplate().getSpec();
            String account = pod.getServiceAccountName();
            assertTrue(run.serviceAccounts().stream().anyMatch(a -> a.getMetadata().getName().equals(account)),
                    set.getMetadata().getName() + " runs as service account " + account + ", which the run does not create");
            assertNotEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), "discovery reads the mounted service account token");
            List<Subject> subjects = binding.getSubjects().stream()
                    .filter(s -> "ServiceAccount".equals(s.getKind()) && account.equals(s.getName())).toList();
            assertEquals(1, subjects.size(), "the RoleBinding must bind service account " + account);
            assertTrue(subjects.get(0).getNamespace() != null && !subjects.get(0).getNamespace().isBlank(),
                    "the API requires a namespace on a ServiceAccount subject");
        }
    }

    /** A binding to the service account of another namespace authorizes nothing here: discovery gets 403. */
    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void overlaysBindTheServiceAccountOfTheirOwnNamespace(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        assertTrue(run.namespace() != null, variant + " must set a namespace");
        run.objects().forEach(o -> assertEquals(run.namespace(), o.getMetadata().getNamespace(), o.getKind() + "/" + o.getMetadata().getName()));
        for (Subject subject : run.roleBindings().get(0).getSubjects()) {
            assertEquals(run.namespace(), subject.getNamespace(), "subject " + subject.getName());
        }
    }
}
