package io.ringtrain.coordinator.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.ringtrain.coordinator.launch.ApiAccess;
import io.ringtrain.coordinator.launch.LaunchedRuns;

/** What the run commands share: one client per command, API errors as one line, a missing run said plainly. */
final class RunCommands {

    private RunCommands() {
    }

    /**
     * Runs {@code work} against the runs of the namespace; an API error becomes an IllegalStateException (exit 1) whose
     * message says what was refused or that the server could not be reached.
     */
    static <T> T withRuns(KubernetesOptions options, String doing, java.util.function.BiFunction<LaunchedRuns, String, T> work) {
        ApiAccess access = options.access();
        String namespace = access.namespaceFor(null);
        try (KubernetesClient client = access.client()) {
            try {
                return work.apply(new LaunchedRuns(client, namespace), namespace);
            } catch (KubernetesClientException e) {
                throw new IllegalStateException(ApiAccess.describe(e, doing + " in namespace " + namespace, client.getConfiguration()), e);
            }
        }
    }

    static LaunchedRuns.Run require(LaunchedRuns runs, String name, String namespace) {
        return runs.get(name).orElseThrow(() -> new IllegalStateException("no run " + name + " in namespace " + namespace
                + " (`ringtrain runs -n " + namespace + "` lists them)"));
    }
}
