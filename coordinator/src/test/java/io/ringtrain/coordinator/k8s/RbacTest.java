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

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theRoleGrantsGetWatchAndListOnPodsOnly(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        assertEquals(1, run.roles().size());
        List<PolicyRule> rules = run.roles().get(0).getRules();
        assertEquals(1, rules.size(), "one rule: read pods");
        PolicyRule rule = rules.get(0);
        assertEquals(List.of(""), rule.getApiGroups(), "pods are in the core API group \"\"");
        assertEquals(List.of("pods"), rule.getResources());
        assertEquals(DISCOVERY_VERBS, Set.copyOf(rule.getVerbs()), "discovery lists pods; nothing may change them");
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
