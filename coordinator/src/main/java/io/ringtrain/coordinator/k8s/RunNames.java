package io.ringtrain.coordinator.k8s;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a launched run's Kubernetes objects are named and labelled: `ringtrain launch` creates them, the coordinator
 * (its run's controller) and the CLI find them, all by these rules. Every object carries the run's name as
 * {@code app.kubernetes.io/instance}, and discovery selects pods by it, so runs in one namespace never see each other.
 */
public final class RunNames {

    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final List<String> OWN_LABELS = List.of(NAME, INSTANCE, COMPONENT, PART_OF, MANAGED_BY);
    public static final String APP = "ringtrain";

    /** Components: the run's ConfigMap (its spec, and the owner of everything else), its status, its pods, the rest. */
    public static final String RUN = "run";
    public static final String STATUS = "status";
    public static final String COORDINATOR = "coordinator";
    public static final String WORKER = "worker";
    public static final String ACCESS = "access";
    public static final String NETWORK = "network";

    /**
     * A StatefulSet's pods carry a controller-revision-hash label of its name plus 11 characters, at most 63; so the
     * StatefulSet {@code <run>-coordinator} may have at most 52 characters, and the run's name 40.
     */
    public static final int MAX_RUN_NAME = 40;
    public static final String WHY_MAX_RUN_NAME = " (the StatefulSet <name>-coordinator must stay within Kubernetes' 52 characters)";

    /** Pekko remoting and Pekko Management (bootstrap contact point, health probes), as reference.conf has them. */
    public static final int CLUSTER_PORT = 25520;
    public static final int MANAGEMENT_PORT = 7626;
    public static final Set<Integer> RESERVED_PORTS = Set.of(CLUSTER_PORT, MANAGEMENT_PORT);

    /** The run spec, canonical YAML, in the run's ConfigMap. */
    public static final String SPEC_KEY = "run.yaml";

    private RunNames() {
    }

    /** The run's ConfigMap, ServiceAccount, Role, RoleBinding and NetworkPolicy. */
    public static String run(String run) {
        return run;
    }

    public static String status(String run) {
        return run + "-status";
    }

    public static String coordinator(String run) {
        return run + "-coordinator";
    }

    public static String workers(String run) {
        return run + "-worker";
    }

    /** The run's own labels on every object of {@code component}. */
    public static Map<String, String> labels(String run, String component) {
        return sorted(Map.of(NAME, APP, INSTANCE, run, COMPONENT, component, PART_OF, APP, MANAGED_BY, APP));
    }

    /** Selects every object (or pod) of the run. */
    public static Map<String, String> ofRun(String run) {
        return sorted(Map.of(INSTANCE, run, PART_OF, APP));
    }

    /** Selects the pods of one of the run's StatefulSets. */
    public static Map<String, String> pods(String run, String component) {
        return sorted(Map.of(INSTANCE, run, COMPONENT, component));
    }

    /** In key order, so that rendered objects and files are the same on every run. */
    private static Map<String, String> sorted(Map<String, String> labels) {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
    }
}
