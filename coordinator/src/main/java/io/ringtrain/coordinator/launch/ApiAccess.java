package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CLI's way to the Kubernetes API: a client from the kubeconfig (or the one named), with bounded timeouts and
 * retries so that an API server that does not answer costs seconds, not minutes; and its errors in users' words.
 *
 * @param kubeconfig null: $KUBECONFIG or ~/.kube/config (or the pod's service account)
 * @param context    null: the kubeconfig's current context
 * @param namespace  null: the context's namespace, else "default"
 */
public record ApiAccess(Path kubeconfig, String context, String namespace) {

    static final int CONNECT_TIMEOUT_MS = 5_000;
    static final int REQUEST_TIMEOUT_MS = 20_000;

    /** Where the API server is and how to talk to it; reads local files only. */
    public Config config() {
        Config base;
        if (kubeconfig != null) {
            if (!Files.isRegularFile(kubeconfig)) {
                throw new IllegalArgumentException("--kubeconfig " + kubeconfig + ": no such file");
            }
            base = Config.fromKubeconfig(context, kubeconfig.toFile());
        } else {
            base = Config.autoConfigure(context);
        }
        return new ConfigBuilder(base).withConnectionTimeout(CONNECT_TIMEOUT_MS).withRequestTimeout(REQUEST_TIMEOUT_MS)
                .withRequestRetryBackoffLimit(1).withRequestRetryBackoffInterval(200).build();
    }

    public KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    /** --namespace, else the spec's, else the context's, else "default". */
    public String namespaceFor(String fromSpec) {
        if (namespace != null && !namespace.isBlank()) {
            if (fromSpec != null && !fromSpec.isEmpty() && !fromSpec.equals(namespace)) {
                throw new IllegalArgumentException("the spec's metadata.namespace (" + fromSpec + ") and --namespace (" + namespace
                        + ") differ: give one of them");
            }
            return namespace;
        }
        if (fromSpec != null && !fromSpec.isEmpty()) {
            return fromSpec;
        }
        String fromContext = config().getNamespace();
        return fromContext == null || fromContext.isBlank() ? "default" : fromContext;
    }

    /**
     * One line for a failed API call: what was refused and why, or that the server could not be reached.
     *
     * @param doing what the CLI was doing ("create StatefulSet mlp-demo-worker in namespace ml")
     */
    public static String describe(KubernetesClientException e, String doing, Config config) {
        Throwable cause = rootCause(e);
        if (e.getCode() <= 0 && (cause instanceof IOException || cause instanceof java.util.concurrent.TimeoutException)) {
            return "cannot reach the Kubernetes API server at " + config.getMasterUrl() + " (" + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + "): is the cluster up, and is this the right"
                    + " context (kubectl config current-context, --context, --kubeconfig)?";
        }
        String reason = serverMessage(e);
        return switch (e.getCode()) {
            case 401 -> "the API server did not accept your credentials (HTTP 401) when trying to " + doing + ": log in again"
                    + " or check the kubeconfig's user";
            case 403 -> "no permission to " + doing + " (HTTP 403: " + reason + "): ask your cluster admin for a Role that allows it";
            case 404 -> "not found while trying to " + doing + " (HTTP 404: " + reason + ")";
            case 409 -> "conflict while trying to " + doing + " (HTTP 409: " + reason + "): someone else changed it; try again";
            case 422 -> "the API server rejected the object while trying to " + doing + " (HTTP 422: " + reason + ")";
            default -> "could not " + doing + " (HTTP " + e.getCode() + ": " + reason + ")";
        };
    }

    private static String serverMessage(KubernetesClientException e) {
        Status status = e.getStatus();
        if (status != null && status.getMessage() != null && !status.getMessage().isBlank()) {
            return status.getMessage();
        }
        return e.getMessage() == null ? "no message" : e.getMessage().lines().findFirst().orElse("no message");
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
