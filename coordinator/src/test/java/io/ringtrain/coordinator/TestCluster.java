package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.coordinator.node.CoordinatorNode;
import io.ringtrain.coordinator.node.WorkerNode;
import io.ringtrain.coordinator.toy.ToySessionFactory;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.TrainingSessions;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.WorkerOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A coordinator node and worker nodes, each its own ActorSystem on 127.0.0.1 with a free port, in this JVM. */
final class TestCluster implements AutoCloseable {

    static final Config CONFIG = ConfigFactory.parseString("""
            ringtrain.coordinator.shutdown-grace = 10s
            ringtrain.worker.welcome-timeout = 30s
            ringtrain.worker.close-timeout = 5s
            """).withFallback(ConfigFactory.load());

    final BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
    final List<RunEvent> seen = new CopyOnWriteArrayList<>();
    final List<WorkerNode> workers = new ArrayList<>();
    private final Map<String, WorkerNode> byName = new java.util.LinkedHashMap<>();
    CoordinatorNode coordinator;
    final List<CoordinatorNode> standbys = new ArrayList<>();
    RecordingCommits commits;

    static RunSettings run(Path checkpoints, long steps, long checkpointEvery, Map<String, String> options) {
        return new RunSettings("test-run", ToySessionFactory.MODEL, 7, 32, steps, "sgd", 0.5, checkpoints.toString(), "",
                checkpointEvery, Duration.ofMillis(300), "", options);
    }

    /** The same run with rank 0 writing its parameter to {@code w.txt} next to the checkpoints at the end. */
    static RunSettings exporting(RunSettings r) {
        return new RunSettings(r.runId(), r.model(), r.seed(), r.globalBatch(), r.totalSteps(), r.optimizer(), r.learningRate(),
                r.checkpointUri(), r.s3Endpoint(), r.checkpointEvery(), r.progressInterval(),
                Path.of(r.checkpointUri()).resolve("w.txt").toString(), r.options());
    }

    static CoordinatorContext coordinatorSettings(int workers) {
        return coordinatorSettings(workers, workers);
    }

    /** The first ring waits for {@code min} workers; the run goes on with {@code min} and takes up to {@code max}. */
    static CoordinatorContext coordinatorSettings(int min, int max) {
        return new CoordinatorContext().minWorkers(min).maxWorkers(max).initialWorkers(min)
                .rendezvousTimeout(Duration.ofSeconds(30)).rendezvousSettle(Duration.ZERO)
                .ringTimeout(Duration.ofSeconds(30)).shutdownGrace(Duration.ofSeconds(10));
    }

    /** With the checkpoint library's commits on the run's checkpoint location, recorded in {@link #commits}. */
    CoordinatorNode startCoordinator(CoordinatorContext settings, RunSettings run) {
        return startCoordinator(settings, run, new RecordingCommits(run));
    }

    CoordinatorNode startCoordinator(CoordinatorContext settings, RunSettings run, RecordingCommits commits) {
        this.commits = commits;
        coordinator = CoordinatorNode.start(CONFIG, new ClusterContext().port(0).conclude(), settings.conclude(), run, commits, events::add);
        return coordinator;
    }

    /** A second node with role coordinator: the singleton moves to it when the first is lost. */
    CoordinatorNode startStandbyCoordinator(CoordinatorContext settings, RunSettings run) {
        CoordinatorNode standby = CoordinatorNode.start(CONFIG, new ClusterContext().port(0).seedNodes(List.of(coordinator.clusterAddress()))
                .conclude(), settings.conclude(), run, commits, events::add);
        standbys.add(standby);
        try {
            standby.up().toCompletableFuture().get(30, TimeUnit.SECONDS); // joined: it can take the singleton over
        } catch (Exception e) {
            throw new AssertionError("the standby coordinator did not join the cluster within 30 s", e);
        }
        return standby;
    }

    WorkerNode startWorker(String name, int ordinal) {
        ClusterContext cluster = new ClusterContext().port(0).seedNodes(List.of(coordinator.clusterAddress())).conclude();
        WorkerContext worker = new WorkerContext().name(name).ordinal(ordinal).dataPlanePort(0)
                .welcomeTimeout(Duration.ofSeconds(30)).closeTimeout(Duration.ofSeconds(5)).conclude();
        WorkerNode node = WorkerNode.start(CONFIG, cluster, worker, TrainingSessions.of(new ToySessionFactory()));
        workers.add(node);
        byName.put(name, node);
        return node;
    }

    WorkerNode worker(String name) {
        return java.util.Objects.requireNonNull(byName.get(name), name);
    }

    /** The next event of {@code type}; fails on timeout, or at once on an unexpected terminal event. */
    <T extends RunEvent> T await(Class<T> type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            RunEvent event = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
            if (event == null) {
                fail("no " + type.getSimpleName() + " within " + timeout + "; events so far: " + seen);
            }
            seen.add(event);
            if (type.isInstance(event)) {
                return type.cast(event);
            }
            if (event instanceof RunEvent.RunFailed failed) {
                fail("run failed while waiting for " + type.getSimpleName() + ": " + failed.reason());
            }
        }
    }

    static WorkerOutcome outcome(WorkerNode node, Duration timeout) throws Exception {
        return node.outcome().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until every node has stopped: nothing may outlive the run. */
    void awaitAllTerminated(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<java.util.concurrent.CompletableFuture<Void>> all = new ArrayList<>();
        all.add(coordinator.terminated().toCompletableFuture());
        workers.forEach(w -> all.add(w.terminated().toCompletableFuture()));
        for (var f : all) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void close() {
        workers.forEach(w -> w.close(Duration.ofSeconds(10)));
        standbys.forEach(s -> s.close(Duration.ofSeconds(10)));
        if (coordinator != null) {
            coordinator.close(Duration.ofSeconds(10));
        }
    }
}
