package io.ringtrain.coordinator.local;

import com.typesafe.config.Config;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.SharedDriver;
import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.ExitStatus;
import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.coordinator.node.LauncherNode;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ringtrain local}: a run on this machine, every role a process of its own, as pods would be: the coordinator
 * (and, on request, a standby) and each worker in its own JVM on 127.0.0.1. This process only supervises, as a
 * StatefulSet controller and a kubelet would: it is the cluster's seed node (role {@code launcher}, never the
 * coordinator), it starts a process again when it exits before the run ends (at most {@code --max-restarts} times in
 * all), and it says so to the run at once: a worker's exit goes to the coordinator, so the ring re-forms without
 * waiting for a timeout; a coordinator's exit downs its node, so the standby (or the restarted coordinator) takes the
 * run over from what the workers report, while they keep training. The coordinator's console lines are shown here;
 * every process also stops on its own when this one disappears (--parent-pid).
 */
public final class LocalRun {

    /** What to run. */
    public record Plan(RunSettings run, CoordinatorContext coordinator, int coordinatorPort, int workers, int maxRestarts,
                       Transport transport, boolean standby, Path logDir, List<String> workerJvmOptions, Optional<Path> summaryJson) {
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
    private static final Duration UP_WAIT = Duration.ofSeconds(120);
    private static final int TAIL_LINES = 25;
    private static final int EXIT_INTERRUPTED = 130;

    private final Config config;
    private final PrintStream out;
    private final PrintStream err;
    private final WorkerProcesses workers = new WorkerProcesses();
    private final List<CoordinatorProcess> coordinators = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger restarts = new AtomicInteger();
    /** Set once the run is over (or interrupted): processes that exit now are done, not lost. */
    private final AtomicBoolean runEnding = new AtomicBoolean();
    /** The exit code of the coordinator that ended the run. */
    private final CompletableFuture<Integer> runExit = new CompletableFuture<>();
    private volatile boolean interrupted;

    public LocalRun(Config config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    /** The line `ringtrain coordinator` starts with: how a launcher learns where the coordinator's node listens. */
    public static String coordinatorListening(String runId, String hostPort) {
        return CoordinatorProcess.listeningLine(runId, hostPort);
    }

    /** Runs the plan to the end; returns the process exit code (0 done, 1 failed, 130 interrupted). */
    public int run(Plan plan) throws Exception {
        RunSettings run = plan.run();
        Path runDir = plan.logDir().toAbsolutePath().resolve(
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + run.runId());
        Files.createDirectories(runDir);
        out.printf("ringtrain local: run %s, model %s, %d workers, %d steps, global batch %d; logs in %s%n",
                run.runId(), run.model(), plan.workers(), run.totalSteps(), run.globalBatch(), runDir);

        LauncherNode launcher = LauncherNode.start(config, new ClusterContext().host("127.0.0.1").port(0).conclude());
        AtomicReference<SharedDriver> driver = new AtomicReference<>();
        AtomicBoolean over = new AtomicBoolean();
        Thread onCtrlC = new Thread(() -> {
            if (over.compareAndSet(false, true)) {
                interrupted = true;
                err.println("ringtrain local: interrupted; stopping " + workers.alive() + " workers and the coordinator");
                stopEverything(launcher, driver);
            }
        }, "ringtrain-local-shutdown");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            if (plan.transport() == Transport.IPC) {
                driver.set(sharedDriver(plan));
            }
            Supervisor supervisor = new Supervisor(plan, launcher, runDir, Optional.ofNullable(driver.get()).map(SharedDriver::directory));
            CoordinatorProcess first = supervisor.startCoordinator(plan.coordinatorPort());
            for (int i = 0; i < plan.workers(); i++) {
                supervisor.startWorker("worker-" + i, i, runDir.resolve("worker-" + i + ".log"));
            }
            if (plan.standby()) {
                // Younger than the first, so the singleton stays where it is until that one is gone.
                launcher.awaitUp(first.address().get(UP_WAIT.toSeconds(), TimeUnit.SECONDS), UP_WAIT);
                supervisor.startCoordinator(0);
            }
            int exit = runExit.get(); // unbounded on purpose: the coordinator's own timeouts end every run that stalls
            return exit == 0 ? finished() : failed();
        } finally {
            if (over.compareAndSet(false, true)) {
                stopEverything(launcher, driver);
                try {
                    Runtime.getRuntime().removeShutdownHook(onCtrlC);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or about to; it finds nothing left to do.
                }
            }
        }
    }

    /**
     * Workers first, with SIGTERM: each leaves the run at a step boundary and the coordinator releases them at once;
     * then the coordinators, this process's node, and last the shared media driver (it removes the directory the
     * workers used). Runs on the main thread at the end, or in the shutdown hook: after SIGTERM or Ctrl-C the JVM
     * exits once its hooks are done, and the main thread's finally block may never run.
     */
    private void stopEverything(LauncherNode launcher, AtomicReference<SharedDriver> driver) {
        runEnding.set(true);
        workers.stopAll(STOP_GRACE);
        coordinators.forEach(c -> c.stop(STOP_GRACE));
        launcher.close(STOP_GRACE);
        SharedDriver shared = driver.getAndSet(null);
        if (shared != null) {
            shared.close();
        }
        runExit.complete(interrupted ? EXIT_INTERRUPTED : 1);
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

    /** Starts the run's processes, and starts them again when they exit before the run ends. */
    private final class Supervisor {
        private final Plan plan;
        private final LauncherNode launcher;
        private final Path runDir;
        private final Optional<String> sharedDriver;
        private final Map<String, String> environment = new HashMap<>();

        Supervisor(Plan plan, LauncherNode launcher, Path runDir, Optional<String> sharedDriver) {
            this.plan = plan;
            this.launcher = launcher;
            this.runDir = runDir;
            this.sharedDriver = sharedDriver;
            if (System.getenv("OMP_NUM_THREADS") == null) {
                // Workers share the cores: without this each one's native BLAS would start a thread per core.
                environment.put("OMP_NUM_THREADS", Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / plan.workers())));
            }
        }

        CoordinatorProcess startCoordinator(int port) throws IOException {
            // Little to compute: C1 only and a serial collector start faster and leave the cores to the workers.
            List<String> jvmOptions = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
            List<String> command = new ArrayList<>(WorkerCommandLine.jvm(jvmOptions));
            command.addAll(List.of("coordinator", "--bootstrap", "local", "--join", launcher.clusterAddress(), "--host", "127.0.0.1",
                    "--port", Integer.toString(port), "--parent-pid", Long.toString(ProcessHandle.current().pid())));
            command.addAll(coordinatorArguments(plan));
            String name = "coordinator-" + (coordinators.size() + 1);
            CoordinatorProcess coordinator = CoordinatorProcess.start(name, command, out, err, runDir.resolve(name + ".log"));
            coordinators.add(coordinator);
            coordinator.onExit().thenRun(() -> coordinatorExited(coordinator));
            return coordinator;
        }

        private void coordinatorExited(CoordinatorProcess coordinator) {
            if (runEnding.get() || coordinator.stopRequested()) {
                return;
            }
            int status = coordinator.exitCode();
            if (status == 0 || status == 1) { // it ended the run, successfully or not
                runEnding.set(true);
                runExit.complete(status);
                return;
            }
            String how = describeExit(status);
            coordinator.address().thenAccept(launcher::nodeGone); // so that the run does not wait for the failure detector
            if (restarts.incrementAndGet() > plan.maxRestarts()) {
                err.println("ringtrain local: the coordinator is gone (" + how + "); not restarting it: --max-restarts "
                        + plan.maxRestarts() + " used up");
                if (coordinators.stream().noneMatch(CoordinatorProcess::isAlive)) {
                    runEnding.set(true);
                    runExit.complete(1);
                }
                return;
            }
            boolean standbyLeft = coordinators.stream().anyMatch(CoordinatorProcess::isAlive);
            out.println(coordinator.name() + " is gone (" + how + "); " + (standbyLeft
                    ? "the standby takes the run over; starting a new standby" : "starting a coordinator again, which takes the run over"));
            try {
                startCoordinator(0);
            } catch (IOException e) {
                err.println("ringtrain local: cannot start the coordinator again: " + e.getMessage());
                runExit.complete(1);
            }
        }

        void startWorker(String name, int ordinal, Path log) throws IOException {
            List<String> jvmOptions = new ArrayList<>(plan.workerJvmOptions());
            // Every worker's Aeron files share this host's /dev/shm: its free-space check must count them all.
            jvmOptions.add("-Dringtrain.worker.data-plane.ranks-on-host=" + plan.workers());
            sharedDriver.ifPresent(dir -> jvmOptions.add("-Dringtrain.worker.data-plane.shared-driver=" + dir));
            List<String> command = new ArrayList<>(WorkerCommandLine.jvm(jvmOptions));
            // Data-plane port 0: each worker binds a free port itself and registers the one it got, so no port can
            // be taken by someone else between choosing it and binding it.
            command.addAll(List.of("worker", "--bootstrap", "local", "--join", launcher.clusterAddress(), "--host", "127.0.0.1",
                    "--port", "0", "--name", name, "--ordinal", Integer.toString(ordinal), "--data-host", "127.0.0.1",
                    "--data-port", "0", "--parent-pid", Long.toString(ProcessHandle.current().pid())));
            WorkerProcess worker = WorkerProcess.start(name, command, environment, log);
            workers.add(worker);
            worker.onExit().thenRun(() -> workerExited(worker, ordinal));
        }

        private void workerExited(WorkerProcess worker, int ordinal) {
            if (runEnding.get() || worker.stopRequested() || worker.exitCode() == 0) {
                return; // exit 0: its part in the run is over (the run completed)
            }
            String how = worker.describeExit();
            launcher.workerExited(worker.name(), how);
            int restart = restarts.incrementAndGet();
            if (restart > plan.maxRestarts()) {
                err.println("ringtrain local: worker " + worker.name() + " is gone (" + how + "); not restarting it: --max-restarts "
                        + plan.maxRestarts() + " used up");
                return;
            }
            out.println("worker " + worker.name() + " is gone (" + how + "); starting it again (restart " + restart + " of "
                    + plan.maxRestarts() + ")");
            try {
                startWorker(worker.name(), ordinal, runDir.resolve(worker.name() + ".restart-" + restart + ".log"));
            } catch (IOException e) {
                err.println("ringtrain local: cannot start worker " + worker.name() + " again: " + e.getMessage());
            }
        }
    }

    /** The coordinator command line for this run: every setting it would otherwise take from its own defaults. */
    static List<String> coordinatorArguments(Plan plan) {
        RunSettings r = plan.run();
        CoordinatorContext c = plan.coordinator();
        List<String> args = new ArrayList<>(List.of(
                "--run-id", r.runId(), "--model", r.model(), "--seed", Long.toString(r.seed()),
                "--global-batch", Integer.toString(r.globalBatch()), "--steps", Long.toString(r.totalSteps()),
                "--optimizer", r.optimizer(), "--lr", Double.toString(r.learningRate()), "--checkpoint-dir", r.checkpointUri(),
                "--checkpoint-every", Long.toString(r.checkpointEvery()), "--progress-interval", r.progressInterval().toMillis() + "ms",
                "--min-workers", Integer.toString(c.minWorkers()), "--max-workers", Integer.toString(c.maxWorkers()),
                "--initial-workers", Integer.toString(c.initialWorkers()),
                "--rendezvous-timeout", c.rendezvousTimeout().toMillis() + "ms",
                "--checkpoint-before-leave", Long.toString(c.checkpointBeforeLeave())));
        if (!r.s3Endpoint().isEmpty()) {
            args.addAll(List.of("--s3-endpoint", r.s3Endpoint()));
        }
        if (!r.exportParams().isEmpty()) {
            args.addAll(List.of("--export-params", r.exportParams()));
        }
        args.addAll(List.of("--resume", c.resume().flagValue()));
        r.options().forEach((k, v) -> args.addAll(List.of("-O", k + "=" + v)));
        plan.summaryJson().ifPresent(p -> args.addAll(List.of("--summary-json", p.toString())));
        return args;
    }

    private int finished() throws InterruptedException {
        if (!workers.awaitExit(EXIT_WAIT)) {
            err.println("ringtrain local: training finished but some workers did not exit within " + EXIT_WAIT.toSeconds() + " s; stopping them");
        }
        return 0;
    }

    private int failed() {
        if (interrupted) {
            return EXIT_INTERRUPTED; // the shutdown hook said so and stops everything; the failures that follow are ours
        }
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

    static String describeExit(int status) {
        return "its process exited with status " + ExitStatus.describe(status);
    }
}
