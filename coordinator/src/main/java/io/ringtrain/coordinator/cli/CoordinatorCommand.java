package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.RunEvent;
import io.ringtrain.coordinator.console.ConsoleProgress;
import io.ringtrain.coordinator.console.SummaryReport;
import io.ringtrain.coordinator.k8s.RunStatusWriter;
import io.ringtrain.coordinator.k8s.WorkerPods;
import io.ringtrain.coordinator.local.LocalRun;
import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.coordinator.node.CoordinatorNode;
import io.ringtrain.worker.RunSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "coordinator", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the coordinator of one run: what a Kubernetes coordinator pod runs. Workers join it with `ringtrain worker`.")
final class CoordinatorCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Option(names = "--min-workers", paramLabel = "N", description = "Workers needed before training starts. Default: ${DEFAULT-VALUE}")
    int minWorkers;

    @Option(names = "--max-workers", paramLabel = "N", description = "Most workers accepted. Default: ${DEFAULT-VALUE}")
    int maxWorkers;

    @Option(names = "--initial-workers", paramLabel = "N", defaultValue = "0",
            description = "Workers the first ring waits for; 0: --min-workers. Default: ${DEFAULT-VALUE}")
    int initialWorkers;

    @Mixin
    ChangeOptions changes;

    @Option(names = "--parent-pid", paramLabel = "PID", description = "Exit when this process exits (set by `ringtrain local`).")
    Long parentPid;

    @Mixin
    RunOptions run;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as JSON.")
    Path summaryJson;

    @Override
    public Integer call() throws Exception {
        RunSettings settings = run.toRunSettings(cli.config, cli.sessions);
        CoordinatorContext coordinator = CoordinatorContext.fromConfig(cli.config).minWorkers(minWorkers).maxWorkers(maxWorkers)
                .initialWorkers(initialWorkers).rendezvousTimeout(changes.rendezvousTimeout).checkpointBeforeLeave(changes.checkpointBeforeLeave)
                .resume(run.resumeMode()).conclude();
        ClusterContext clusterContext = cluster.toClusterContext(cli.config);
        Optional<WorkerPods.Plan> podWatch = WorkerPods.plan(cli.config, clusterContext);
        Optional<RunStatusWriter.Plan> runStatus = RunStatusWriter.plan(cli.config, clusterContext);
        Path summary = summaryJson == null ? null : Preflight.outputFile(summaryJson, "--summary-json");
        Optional<RunStatusWriter> status = runStatus.map(plan -> plan.start(settings.totalSteps()));
        Consumer<RunEvent> listener = new ConsoleProgress(cli.out);
        if (status.isPresent()) {
            listener = listener.andThen(status.get());
        }
        CoordinatorNode node = CoordinatorNode.start(cli.config, clusterContext, coordinator, settings, cli.commits.apply(settings),
                listener);
        cli.out.println(LocalRun.coordinatorListening(settings.runId(), node.clusterAddress()));
        Optional<WorkerPods> pods = podWatch.map(plan -> plan.start(node::workerExited));
        if (parentPid != null) {
            // At once, without a graceful leave: the run's supervisor is gone (killed, as a whole run is when its
            // machine goes), so this coordinator must commit nothing more; the workers stop on their own.
            WorkerCommand.exitWithParent(parentPid, cli.err, "coordinator", () -> Runtime.getRuntime().halt(RingtrainCli.EXIT_FAILED));
        }
        RunEvent last = node.outcome().toCompletableFuture().get(); // bounded by the coordinator's own timeouts
        pods.ifPresent(WorkerPods::close);
        status.ifPresent(s -> {
            s.finish();
            s.close();
        });
        node.close(Duration.ofSeconds(20));
        if (last instanceof RunEvent.RunFinished finished) {
            SummaryReport.print(cli.out, settings, finished.result());
            if (summary != null) {
                SummaryReport.writeJson(summary, settings, finished.result());
            }
            return RingtrainCli.EXIT_OK;
        }
        if (last instanceof RunEvent.AlreadyFinished done) {
            cli.out.println(done.message());
            return RingtrainCli.EXIT_OK;
        }
        cli.err.println("ringtrain coordinator: run failed: " + ((RunEvent.RunFailed) last).reason());
        return RingtrainCli.EXIT_FAILED;
    }
}
