package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.local.LocalRun;
import io.ringtrain.worker.RunSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "local", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train on this machine: the coordinator in this process, each worker in its own JVM on 127.0.0.1.",
                "Shows progress while running and a summary at the end; Ctrl-C stops everything."})
final class LocalCommand implements Callable<Integer> {

    @ParentCommand
    RingtrainCli cli;

    @Option(names = "--workers", paramLabel = "N", description = "Worker processes. Default: ${DEFAULT-VALUE}")
    int workers;

    @Option(names = "--min-workers", paramLabel = "N",
            description = "The run goes on with this many workers while lost ones are replaced; below it, it pauses. Default: ${DEFAULT-VALUE}")
    int minWorkers;

    @Option(names = "--max-restarts", paramLabel = "N",
            description = "Worker processes that exit before the run ends are started again, at most N times in all; 0: never. Default: ${DEFAULT-VALUE}")
    int maxRestarts;

    @Option(names = "--transport", paramLabel = "ipc|udp", defaultValue = "ipc",
            description = "ipc: the workers share one media driver and exchange over shared memory; udp: each its own driver,"
                    + " over UDP on 127.0.0.1, as pods on separate hosts. Default: ${DEFAULT-VALUE}")
    String transport;

    @Option(names = "--standby-coordinator",
            description = "Also run a standby coordinator, which takes the run over at once if the coordinator's process dies.")
    boolean standby;

    @Mixin
    ChangeOptions changes;

    @Mixin
    RunOptions run;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as JSON.")
    Path summaryJson;

    @Option(names = "--coordinator-port", paramLabel = "PORT", defaultValue = "0",
            description = "Cluster port of the coordinator; 0: any free port. Default: ${DEFAULT-VALUE}")
    int coordinatorPort;

    @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "ringtrain-logs",
            description = "Each run's worker logs go to a new directory under DIR. Default: ${DEFAULT-VALUE}")
    Path logDir;

    @Option(names = "--worker-jvm-option", paramLabel = "OPTION", description = "Extra JVM option for the workers (e.g. -Xmx2g); repeatable.")
    List<String> workerJvmOptions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        RunOptions.require(workers >= 1, "--workers must be at least 1, got " + workers);
        RunOptions.require(workers <= 64, "--workers " + workers + " is more than one machine should run; use at most 64");
        RunOptions.require(minWorkers >= 1 && minWorkers <= workers, "--min-workers must be 1 to --workers (" + workers + "), got " + minWorkers);
        RunOptions.require(transport.equals("ipc") || transport.equals("udp"), "--transport must be ipc or udp, got '" + transport + "'");
        RunOptions.require(maxRestarts >= 0, "--max-restarts must be 0 (never restart) or more, got " + maxRestarts);
        RunOptions.require(changes.checkpointBeforeLeave >= 0, "--checkpoint-before-leave must be 0 (off) or a number of steps, got " + changes.checkpointBeforeLeave);
        RunSettings settings = run.toRunSettings(cli.config, cli.sessions);
        RunOptions.require(settings.globalBatch() >= workers, "--global-batch " + settings.globalBatch() + " is smaller than --workers "
                + workers + ": every worker needs at least one sample per step; raise --global-batch or lower --workers");
        Preflight.tcpPortFree("127.0.0.1", coordinatorPort, "--coordinator-port");
        Optional<Path> summary = Optional.ofNullable(summaryJson).map(p -> Preflight.outputFile(p, "--summary-json"));
        // The first ring waits for every worker (max); later rings go on with min-workers while lost ones come back.
        CoordinatorContext coordinator = CoordinatorContext.fromConfig(cli.config).minWorkers(minWorkers).maxWorkers(workers).initialWorkers(workers)
                .checkpointBeforeLeave(changes.checkpointBeforeLeave).rendezvousTimeout(changes.rendezvousTimeout).resume(run.resumeMode()).conclude();
        return new LocalRun(cli.config, cli.out, cli.err).run(new LocalRun.Plan(
                settings, coordinator, coordinatorPort, workers, maxRestarts,
                LocalRun.Transport.valueOf(transport.toUpperCase(java.util.Locale.ROOT)), standby, logDir, workerJvmOptions, summary));
    }
}
