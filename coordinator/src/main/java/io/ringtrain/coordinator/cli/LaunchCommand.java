package io.ringtrain.coordinator.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.launch.ApiAccess;
import io.ringtrain.coordinator.launch.RunApplier;
import io.ringtrain.coordinator.launch.RunRenderer;
import io.ringtrain.coordinator.launch.RunYaml;
import io.ringtrain.coordinator.launch.TrainingRun;
import io.ringtrain.coordinator.launch.TrainingRunReader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "launch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start a training run on Kubernetes from a run spec (kind: TrainingRun): its ServiceAccount, Role and RoleBinding,"
                + " ConfigMaps, the coordinator and worker StatefulSets with headless Services, a PodDisruptionBudget and a"
                + " NetworkPolicy, applied with server-side apply (field manager ringtrain).",
                "Applying an unchanged spec changes nothing. A run that exists with another spec is changed only with --update,"
                        + " which prints what changes."})
final class LaunchCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Parameters(index = "0", paramLabel = "RUN.yaml", description = "The run spec; README's Kubernetes section lists every field and its default.")
    Path spec;

    @Mixin
    KubernetesOptions k8s;

    @Option(names = "--dry-run", description = "Print the objects as YAML instead of applying them (contacts no API server).")
    boolean dryRun;

    @Option(names = "--update", description = "Apply a changed spec to a run that already exists.")
    boolean update;

    @Override
    public Integer call() {
        TrainingRun run = TrainingRunReader.read(spec);
        ApiAccess access = k8s.access();
        String namespace = access.namespaceFor(run.namespace());
        if (dryRun) {
            cli.out.print(RunYaml.of(RunRenderer.render(run, namespace)));
            cli.out.flush();
            return RingtrainCli.EXIT_OK;
        }
        RunApplier.Outcome outcome;
        try (KubernetesClient client = access.client()) {
            outcome = new RunApplier(client, namespace).apply(run, update);
        }
        String where = "run " + run.name() + " in namespace " + namespace;
        if (outcome.created()) {
            cli.out.println(where + " launched: created " + String.join(", ", outcome.written()));
        } else if (outcome.written().isEmpty()) {
            cli.out.println(where + " is unchanged: nothing to apply (" + outcome.unchanged() + " objects hold the spec)");
        } else if (outcome.specChanges().isEmpty()) {
            cli.out.println(where + ": spec unchanged; put back what differed from it: " + String.join(", ", outcome.written()));
        } else {
            cli.out.println(where + " updated:");
            outcome.specChanges().forEach(change -> cli.out.println("  " + change));
            cli.out.println("  applied " + String.join(", ", outcome.written()) + " (" + outcome.unchanged() + " objects unchanged)");
        }
        cli.out.println("Follow it: ringtrain status " + run.name() + " -n " + namespace + " --watch");
        return RingtrainCli.EXIT_OK;
    }
}
