package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.coordinator.node.WorkerNode;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.WorkerOutcome;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run one worker: what `ringtrain local` starts per worker and what a Kubernetes worker pod runs.")
final class WorkerCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--name", description = "Worker name; empty: $HOSTNAME (a pod's name). Default: ${DEFAULT-VALUE}")
    String name;

    @Option(names = "--ordinal", paramLabel = "N", description = "Stable rank hint; -1: join order. Default: ${DEFAULT-VALUE}")
    int ordinal;

    @Option(names = "--ordinal-from-name", description = "Take the ordinal from a name ending in -<number> (StatefulSet pods).")
    boolean ordinalFromName;

    @Option(names = "--data-host", paramLabel = "HOST", description = "Address peers reach this worker's data plane at. Default: ${DEFAULT-VALUE}")
    String dataHost;

    @Option(names = "--data-port", paramLabel = "PORT", description = "UDP port of the data plane; 0: any free port. Default: ${DEFAULT-VALUE}")
    int dataPort;

    @Option(names = "--parent-pid", paramLabel = "PID", description = "Exit when this process exits (set by `ringtrain local`).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        ClusterContext clusterContext = cluster.toClusterContext(cli.config);
        RunOptions.require(clusterContext.bootstrap() != ClusterContext.Bootstrap.LOCAL || !clusterContext.seedNodes().isEmpty(),
                "--join is required with local bootstrap: give the coordinator's cluster address, e.g. --join 127.0.0.1:25520");
        WorkerContext worker = WorkerContext.fromConfig(cli.config).name(name).ordinal(ordinal).ordinalFromName(ordinalFromName)
                .dataPlaneHost(dataHost).dataPlanePort(dataPort).conclude();
        Preflight.udpPortFree(dataHost, dataPort, "--data-port");
        WorkerNode node = WorkerNode.start(cli.config, clusterContext, worker, cli.sessions);
        if (parentPid != null) {
            // the run's coordinator went with it: there is nobody to leave gracefully
            exitWithParent(parentPid, cli.err, "worker", () -> node.leaveOnShutdown(false));
        }
        WorkerOutcome outcome = node.outcome().toCompletableFuture().get(); // bounded by the worker's own timeouts
        node.close(Duration.ofSeconds(20));
        cli.err.println("ringtrain worker " + worker.name() + ": " + (outcome.success() ? "done: " : "failed: ") + outcome.message());
        return outcome.success() ? RingtrainCli.EXIT_OK : RingtrainCli.EXIT_FAILED;
    }

    /** A process `ringtrain local` started must not outlive it, even if it was killed with SIGKILL. */
    static void exitWithParent(long pid, java.io.PrintStream err, String what, Runnable beforeExit) {
        ProcessHandle.of(pid).ifPresentOrElse(parent -> parent.onExit().thenRun(() -> {
            err.println("ringtrain " + what + ": the process that started this " + what + " (pid " + pid + ") exited; stopping");
            beforeExit.run();
            System.exit(RingtrainCli.EXIT_FAILED); // shutdown hooks leave the cluster and close what is open
        }), () -> {
            err.println("ringtrain " + what + ": the process that started this " + what + " (pid " + pid + ") is gone; stopping");
            beforeExit.run();
            System.exit(RingtrainCli.EXIT_FAILED);
        });
    }
}
