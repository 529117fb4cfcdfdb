package io.ringtrain.coordinator.local;

import com.typesafe.config.Config;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ringtrain local}: the coordinator runs in this process, each worker in its own JVM on
 * 127.0.0.1. The coordinator stays in-process because it is light (it is never on the per-step
 * path), one JVM fewer matters on a 2-core machine, its events feed the console directly, and it
 * cannot outlive the command. Workers are killed with the command (shutdown hook) and also stop on
 * their own when this process disappears (--parent-pid) or the coordinator becomes unreachable.
 */
public final class LocalRun {

    /** What to run. */
    public record Plan(RunSettings run, CoordinatorContext coordinator, int coordinatorPort, int workers, Path logDir,
                       List<String> workerJvmOptions, Optional<Path> summaryJson) {
    }

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);
    /** After a worker died, how long the coordinator may take to say why before we report the death itself. */
    private static final Duration REASON_WAIT = Duration.ofSeconds(5);
    private static final int TAIL_LINES = 25;
    private static final int EXIT_INTERRUPTED = 130;

    private final Config config;
    private final CheckpointCommits commits;
    private final PrintStream out;
    private final PrintStream err;
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

        CoordinatorNode coordinator = CoordinatorNode.start(config,
                new ClusterContext().host("127.0.0.1").port(plan.coordinatorPort()).conclude(),
                plan.coordinator(), run, commits, new ConsoleProgress(out));
        WorkerProcesses workers = new WorkerProcesses();
        AtomicBoolean over = new AtomicBoolean();
        Thread onCtrlC = new Thread(() -> {
            if (over.compareAndSet(false, true)) {
                interrupted = true;
                err.println("ringtrain local: interrupted; stopping " + workers.size() + " workers");
                workers.stopAll(STOP_GRACE);
                coordinator.close(STOP_GRACE);
            }
        }, "ringtrain-local-shutdown");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            startWorkers(plan, coordinator.clusterAddress(), runDir, workers);
            return awaitEnd(plan, coordinator, workers);
        } finally {
            if (over.compareAndSet(false, true)) {
                workers.stopAll(STOP_GRACE);
                coordinator.abandon(STOP_GRACE);
                try {
                    Runtime.getRuntime().removeShutdownHook(onCtrlC);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or about to; it finds nothing left to do.
                }
            }
        }
    }

    private void startWorkers(Plan plan, String seed, Path runDir, WorkerProcesses workers) throws IOException {
        List<Integer> dataPorts = FreePorts.udp("127.0.0.1", plan.workers());
        Map<String, String> environment = new HashMap<>();
        if (System.getenv("OMP_NUM_THREADS") == null) {
            // Workers share the cores: without this each one's native BLAS would start a thread per core.
            environment.put("OMP_NUM_THREADS", Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / plan.workers())));
        }
        for (int i = 0; i < plan.workers(); i++) {
            String name = "worker-" + i;
            List<String> jvmOptions = new ArrayList<>(plan.workerJvmOptions());
            // Every worker's Aeron files share this host's /dev/shm: its free-space check must count them all.
            jvmOptions.add("-Dringtrain.worker.data-plane.ranks-on-host=" + plan.workers());
            List<String> command = new ArrayList<>(WorkerCommandLine.jvm(jvmOptions));
            command.addAll(List.of("worker", "--bootstrap", "local", "--join", seed, "--host", "127.0.0.1", "--port", "0",
                    "--name", name, "--ordinal", Integer.toString(i), "--data-host", "127.0.0.1",
                    "--data-port", Integer.toString(dataPorts.get(i)), "--parent-pid", Long.toString(ProcessHandle.current().pid())));
            workers.add(WorkerProcess.start(name, command, environment, runDir.resolve(name + ".log")));
        }
    }

    private int awaitEnd(Plan plan, CoordinatorNode coordinator, WorkerProcesses workers) throws Exception {
        CompletableFuture<RunEvent> outcome = coordinator.outcome().toCompletableFuture();
        // Unbounded here on purpose: every way a run can stall ends in the coordinator's own timeouts or a process exit.
        CompletableFuture.anyOf(outcome, workers.firstFailure()).get();
        if (!outcome.isDone()) {
            try {
                outcome.get(REASON_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                WorkerProcess dead = workers.firstFailure().get();
                return failed("worker " + dead.name() + " exited with status " + dead.exitCode(), workers);
            }
        }
        RunEvent last = outcome.get();
        if (last instanceof RunEvent.RunFailed failed) {
            return failed(failed.reason(), workers);
        }
        RunEvent.RunFinished finished = (RunEvent.RunFinished) last;
        if (!workers.awaitExit(EXIT_WAIT)) {
            err.println("ringtrain local: training finished but some workers did not exit within " + EXIT_WAIT.toSeconds() + " s; stopping them");
        }
        workers.stopAll(STOP_GRACE);
        Optional<WorkerProcess> failedWorker = workers.firstFailed();
        if (failedWorker.isPresent()) {
            return failed("worker " + failedWorker.get().name() + " exited with status " + failedWorker.get().exitCode()
                    + " after the run finished", workers);
        }
        SummaryReport.print(out, plan.run(), finished.result());
        if (plan.summaryJson().isPresent()) {
            SummaryReport.writeJson(plan.summaryJson().get(), plan.run(), finished.result());
            out.println("  summary             " + plan.summaryJson().get());
        }
        return 0;
    }

    private int failed(String reason, WorkerProcesses workers) {
        if (interrupted) {
            return EXIT_INTERRUPTED; // the shutdown hook said so and stops everything; the failures that follow are ours
        }
        err.println("ringtrain local: run failed: " + reason);
        workers.stopAll(STOP_GRACE);
        workers.firstFailed().ifPresent(w -> {
            err.println("last lines of " + w.log() + ":");
            w.tail(TAIL_LINES).forEach(line -> err.println("  | " + line));
        });
        err.flush();
        return 1;
    }
}
