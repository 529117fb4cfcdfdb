package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.launch.LaunchedRuns;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "delete", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Delete a run: its pods stop first (StatefulSets scaled to 0), then its checkpoints are deleted (unless"
                + " --keep-checkpoints), then every object of the run.",
                "If the pods do not stop in time or the checkpoints cannot be deleted, nothing else is deleted and it says why."})
final class DeleteCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin
    KubernetesOptions k8s;

    @Option(names = "--keep-checkpoints", description = "Leave the run's checkpoints in the store.")
    boolean keepCheckpoints;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "90s",
            description = "How long to wait for the run's pods to stop. Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Override
    public Integer call() {
        String report = RunCommands.withRuns(k8s, "delete run " + name, (runs, namespace) -> {
            LaunchedRuns.Run run = RunCommands.require(runs, name, namespace);
            runs.stop(name);
            List<String> pods = awaitNoPods(runs);
            if (!pods.isEmpty()) {
                throw new IllegalStateException("the pods of run " + name + " did not stop within " + timeout + " (" + String.join(", ", pods)
                        + "): its StatefulSets are scaled to 0 and nothing else was deleted; run delete again later");
            }
            String checkpoints = "kept its checkpoints";
            if (!keepCheckpoints) {
                if (run.spec() == null) {
                    throw new IllegalStateException("run " + name + "'s stored spec does not parse, so where its checkpoints are is unknown:"
                            + " nothing was deleted; use --keep-checkpoints and delete them by hand");
                }
                try {
                    checkpoints = "deleted its checkpoints: " + runs.deleteCheckpoints(run.spec());
                } catch (RuntimeException e) {
                    throw new IllegalStateException("could not delete run " + name + "'s checkpoints (" + e.getMessage() + "); its pods are"
                            + " stopped and its objects are still there: fix the store's access and delete again, or add --keep-checkpoints");
                }
            }
            List<String> deleted = runs.delete(name);
            return "run " + name + " deleted from namespace " + namespace + ": " + String.join(", ", deleted) + "; " + checkpoints;
        });
        cli.out.println(report);
        return RingtrainCli.EXIT_OK;
    }

    private List<String> awaitNoPods(LaunchedRuns runs) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> pods = runs.pods(name);
        while (!pods.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(500); // a poll interval: pods stop on the cluster's schedule, not ours
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return pods;
            }
            pods = runs.pods(name);
        }
        return pods;
    }
}
