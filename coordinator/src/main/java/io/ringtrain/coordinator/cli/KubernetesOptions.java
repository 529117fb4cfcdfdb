package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.launch.ApiAccess;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which cluster and namespace the run commands talk to: kubectl's flags, with kubectl's defaults. */
final class KubernetesOptions {

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "Namespace. Default: the spec's metadata.namespace (launch), else the kubeconfig context's, else default")
    String namespace;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Default: $KUBECONFIG, else ~/.kube/config, else the pod's service account")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "kubeconfig context. Default: the current context")
    String context;

    ApiAccess access() {
        return new ApiAccess(kubeconfig, context, namespace);
    }
}
