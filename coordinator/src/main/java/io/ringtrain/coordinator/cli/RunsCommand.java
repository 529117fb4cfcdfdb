package io.ringtrain.coordinator.cli;

import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "List the runs `ringtrain launch` started in a namespace: phase, workers in the ring / desired, step, loss, last checkpoint, age.")
final class RunsCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Mixin
    KubernetesOptions k8s;

    @Override
    public Integer call() {
        String table = RunCommands.withRuns(k8s, "list runs", (runs, namespace) -> {
            var list = runs.list();
            return list.isEmpty() ? "no runs in namespace " + namespace + "\n" : RunViews.table(list, Instant.now());
        });
        cli.out.print(table);
        cli.out.flush();
        return RingtrainCli.EXIT_OK;
    }
}
