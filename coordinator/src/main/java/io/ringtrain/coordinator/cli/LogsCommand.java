package io.ringtrain.coordinator.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.ringtrain.coordinator.k8s.RunNames;
import io.ringtrain.coordinator.launch.ApiAccess;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "logs", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a run's coordinator log (progress, ring changes, the summary), or one worker's with --worker N.")
final class LogsCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin
    KubernetesOptions k8s;

    @Option(names = "--worker", paramLabel = "N", description = "The worker pod with ordinal N (<name>-worker-N) instead of the coordinator.")
    Integer worker;

    @Option(names = {"-f", "--follow"}, description = "Keep printing as the pod logs (until Ctrl-C or the pod goes).")
    boolean follow;

    @Override
    public Integer call() throws Exception {
        RunOptions.require(worker == null || worker >= 0, "--worker must be 0 or more, got " + worker);
        String pod = worker == null ? RunNames.coordinator(name) + "-0" : RunNames.workers(name) + "-" + worker;
        String container = worker == null ? RunNames.COORDINATOR : RunNames.WORKER;
        ApiAccess access = k8s.access();
        String namespace = access.namespaceFor(null);
        try (KubernetesClient client = access.client()) {
            try {
                if (client.pods().inNamespace(namespace).withName(pod).get() == null) {
                    throw new IllegalStateException("no pod " + pod + " in namespace " + namespace + " (run " + name
                            + " not found, finished and scaled down, or that worker does not exist)");
                }
                var logs = client.pods().inNamespace(namespace).withName(pod).inContainer(container);
                if (!follow) {
                    cli.out.print(logs.getLog());
                    cli.out.flush();
                    return RingtrainCli.EXIT_OK;
                }
                try (LogWatch watch = logs.watchLog(cli.out)) {
                    watch.onClose().toCompletableFuture().join();
                }
                return RingtrainCli.EXIT_OK;
            } catch (KubernetesClientException e) {
                throw new IllegalStateException(ApiAccess.describe(e, "read the log of pod " + pod + " in namespace " + namespace,
                        client.getConfiguration()), e);
            }
        }
    }
}
