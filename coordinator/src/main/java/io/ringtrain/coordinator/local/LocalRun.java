package io.ringtrain.coordinator.local;

import com.typesafe.config.Config;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.SharedDriver;
import io.ringtrain.coordinator.CheckpointCommits;
import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.RunEvent;
import io.ringtrain.coordinator.console.ConsoleProgress;
import io.ringtrain.coordinator.console.SummaryReport;
import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.coordinator.node.CoordinatorNode;
import io.ringtrain.worker.RunSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ringtrain local}: the coordinator runs in this process, each worker in its own JVM on 127.0.0.1. The
 * coordinator stays in-process because it is light (it is never on the per-step path), one JVM fewer matters on a
 * 2-core machine, its events feed the console directly, and it cannot outlive the command.
 *
 * <p>The launcher supervises the workers as a StatefulSet would: a worker process that exits before the run ends
 * is reported to the coordinator at once (the fastest signal it gets; the ring re-forms without it) and started
 * again under the same name, up to {@code --max-restarts} times; the replacement joins the running ring. Workers
 * are killed with the command (shutdown hook) and also stop on their own when this process disappears
 * (--parent-pid) or the coordinator becomes unreachable.
 */
public final class LocalRun {

    /** What to run. */
    public record Plan(RunSettings run, CoordinatorContext coordinator, int coordinatorPort, int workers, int maxRestarts,
                       Transport transport, Path logDir, List<String> workerJvmOptions, Optional<Path> summaryJson) {
    }

    /** How the workers of this machine exchange frames. */
    public enum Transport {
        /** One shared media driver in the launcher; workers exchange over shared memory (IPC): the default. */
        IPC,
        /** Each worker its own embedded driver, exchanging over UDP on 127.0.0.1, as pods on separate hosts do. */
        UDP
    }

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);
    private static final int TAIL_LINES = 25;
    private static final int EXIT_INTERRUPTED = 130;

    private final Config config;
    private final CheckpointCommits commits;
    private final PrintStream out;
    private final PrintStream err;
    private final WorkerProcesses workers = new WorkerProcesses();
    private final AtomicInteger restarts = new AtomicInteger();
    /** Set once the coordinator began ending the run: workers that exit now are done, not lost. */
    private final AtomicBoolean runEnding = new AtomicBoolean();
    private volatile boolean interrupted;

    public LocalRun(Config config, CheckpointCommits commits, PrintStream out, PrintStream err) {
        this.config = config;
        this.commits = commits;
        this.out = out;
        this.err = err;
    }

    /** Runs the plan to the end; returns the process exit code (0 done, 1 failed). */
    public int run(Plan plan) throws Exception {
        RunSettings run = plan.run();
        Path runDir = plan.logDir().toAbsolutePath().resolve(
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + run.runId());
        Files.createDirectories(runDir);
        out.printf("ringtrain local: run %s, model %s, %d workers, %d steps, global batch %d; logs in %s%n",
                run.runId(), run.model(), plan.workers(), run.totalSteps(), run.globalBatch(), runDir);

        ConsoleProgress console = new ConsoleProgress(out);
        CoordinatorNode coordinator = CoordinatorNode.start(config,
                new ClusterContext().host("127.0.0.1").port(plan.coordinatorPort()).conclude(),
                plan.coordinator(), run, commits, event -> {
                    if (event instanceof RunEvent.RunEnding) {
                        runEnding.set(true);
                    }
                    console.accept(event);
                });
        AtomicBoolean over = new AtomicBoolean();
        Thread onCtrlC = new Thread(() -> {
            if (over.compareAndSet(false, true)) {
                interrupted = true;
                runEnding.set(true);
                err.println("ringtrain local: interrupted; stopping " + workers.alive() + " workers");
                workers.stopAll(STOP_GRACE);
                coordinator.close(STOP_GRACE);
            }
        }, "ringtrain-local-shutdown");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        Optional<SharedDriver> driver = Optional.empty();
        try {
            driver = plan.transport() == Transport.IPC ? Optional.of(sharedDriver(plan)) : Optional.empty();
            Launch launch = new Launch(plan, coordinator, runDir, driver.map(SharedDriver::directory));
            for (int i = 0; i < plan.workers(); i++) {
                launch.start("worker-" + i, i, runDir.resolve("worker-" + i + ".log"));
            }
            return awaitEnd(plan, coordinator);
        } finally {
            if (over.compareAndSet(false, true)) {
                runEnding.set(true);
                workers.stopAll(STOP_GRACE);
                coordinator.abandon(STOP_GRACE);
                try {
                    Runtime.getRuntime().removeShutdownHook(onCtrlC);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or about to; it finds nothing left to do.
                }
            }
            driver.ifPresent(SharedDriver::close); // after every worker stopped: it removes the directory they used
        }
    }

    /**
     * The media driver every worker of this machine attaches to: frames between them go through shared memory, with
     * no sockets and no kernel copies. Sized, and its /dev/shm checked, for every worker with the workers' own
     * data-plane settings.
     */
    private SharedDriver sharedDriver(Plan plan) {
        DataPlaneContext workerSettings = new DataPlaneContext().apply(
                config.getConfig("ringtrain.worker.data-plane").withoutPath("host").withoutPath("port").root().unwrapped(),
                "ringtrain.worker.data-plane.");
        return SharedDriver.launch(new SharedDriver.Context().ranksOnHost(plan.workers()).worldSize(plan.workers())
                .termLength(workerSettings.termLength()).peerTimeout(workerSettings.peerTimeout()));
    }

    /** Starts worker processes, and starts them again when they exit before the run ends. */
    private final class Launch {
        private final Plan plan;
        private final CoordinatorNode coordinator;
        private final Path runDir;
        private final Optional<String> sharedDriver;
        private final Map<String, String> environment = new HashMap<>();

        Launch(Plan plan, CoordinatorNode coordinator, Path runDir, Optional<String> sharedDriver) {
            this.plan = plan;
            this.coordinator = coordinator;
            this.runDir = runDir;
            this.sharedDriver = sharedDriver;
            if (System.getenv("OMP_NUM_THREADS") == null) {
                // Workers share the cores: without this each one's native BLAS would start a thread per core.
                environment.put("OMP_NUM_THREADS", Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / plan.workers())));
            }
        }

        void start(String name, int ordinal, Path log) throws IOException {
            List<String> jvmOptions = new ArrayList<>(plan.workerJvmOptions());
            // Every worker's Aeron files share this host's /dev/shm: its free-space check must count them all.
            jvmOptions.add("-Dringtrain.worker.data-plane.ranks-on-host=" + plan.workers());
            sharedDriver.ifPresent(dir -> jvmOptions.add("-Dringtrain.worker.data-plane.shared-driver=" + dir));
            List<String> command = new ArrayList<>(WorkerCommandLine.jvm(jvmOptions));
            // Data-plane port 0: each worker binds a free port itself and registers the one it got, so no port can
            // be taken by someone else between choosing it and binding it.
            command.addAll(List.of("worker", "--bootstrap", "local", "--join", coordinator.clusterAddress(), "--host", "127.0.0.1",
                    "--port", "0", "--name", name, "--ordinal", Integer.toString(ordinal), "--data-host", "127.0.0.1",
                    "--data-port", "0", "--parent-pid", Long.toString(ProcessHandle.current().pid())));
            WorkerProcess worker = WorkerProcess.start(name, command, environment, log);
            workers.add(worker);
            worker.onExit().thenRun(() -> exited(worker, ordinal));
        }

        private void exited(WorkerProcess worker, int ordinal) {
            if (runEnding.get() || worker.stopRequested()) {
                return;
            }
            String how = worker.describeExit();
            coordinator.workerExited(worker.name(), how);
            int restart = restarts.incrementAndGet();
            if (restart > plan.maxRestarts()) {
                err.println("ringtrain local: worker " + worker.name() + " is gone (" + how + "); not restarting it: --max-restarts "
                        + plan.maxRestarts() + " used up");
                return;
            }
            out.println("worker " + worker.name() + " is gone (" + how + "); starting it again (restart " + restart + " of "
                    + plan.maxRestarts() + ")");
            try {
                start(worker.name(), ordinal, runDir.resolve(worker.name() + ".restart-" + restart + ".log"));
            } catch (IOException e) {
                err.println("ringtrain local: cannot start worker " + worker.name() + " again: " + e.getMessage());
            }
        }
    }

    private int awaitEnd(Plan plan, CoordinatorNode coordinator) throws Exception {
        // Unbounded here on purpose: every way a run can stall ends in the coordinator's own timeouts (a run that
        // lost all its workers waits for replacements until the rendezvous timeout).
        RunEvent last = coordinator.outcome().toCompletableFuture().get();
        if (last instanceof RunEvent.RunFailed failed) {
            return failed(failed.reason());
        }
        RunEvent.RunFinished finished = (RunEvent.RunFinished) last;
        if (!workers.awaitExit(EXIT_WAIT)) {
            err.println("ringtrain local: training finished but some workers did not exit within " + EXIT_WAIT.toSeconds() + " s; stopping them");
        }
        workers.stopAll(STOP_GRACE);
        SummaryReport.print(out, plan.run(), finished.result());
        if (plan.summaryJson().isPresent()) {
            SummaryReport.writeJson(plan.summaryJson().get(), plan.run(), finished.result());
            out.println("  summary             " + plan.summaryJson().get());
        }
        return 0;
    }

    private int failed(String reason) {
        if (interrupted) {
            return EXIT_INTERRUPTED; // the shutdown hook said so and stops everything; the failures that follow are ours
        }
        err.println("ringtrain local: run failed: " + reason);
        workers.stopAll(STOP_GRACE);
        workers.snapshot().stream().filter(WorkerProcess::failed).findFirst().ifPresent(w -> {
            List<String> tail = w.tail(TAIL_LINES);
            if (!tail.isEmpty() && !(tail.size() == 1 && tail.get(0).isBlank())) {
                err.println("last lines of " + w.log() + ":");
                tail.forEach(line -> err.println("  | " + line));
            }
        });
        err.flush();
        return 1;
    }
}
